"""The dev runner `v360`: the whole stack on one machine, embedded Postgres/Redis unless given."""

"""HTTP routes, one module per area."""

# The path prefix the existing dashboard front end calls.
DEMO_PREFIX = "/api/demo/vertice360-orquestador"

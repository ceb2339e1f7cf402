"""Typed clients of the three services, one per peer: methods take and return the peers' protobuf messages."""

"""Unit tests of how `v360 up` lays out replicas, ports and gRPC targets."""

from __future__ import annotations

import random
import socket

import pytest

from devstack.options import parse_replicas
from devstack.ports import LOWEST_PORT, ephemeral_range, free_ports, port_candidates, port_is_free
from devstack.up import grpc_target, replica_plan


def test_one_replica_each_keeps_service_names() -> None:
    plan = replica_plan(parse_replicas(""), [5001, 5002, 5003])
    assert [(r.service, r.name, r.port) for r in plan] == [
        ("ingest", "ingest", 5001),
        ("visits", "visits", 5002),
        ("supervisor", "supervisor", 5003),
    ]


def test_several_replicas_are_numbered() -> None:
    plan = replica_plan(parse_replicas("ingest=2"), [5001, 5002, 5003, 5004])
    assert [r.name for r in plan] == ["ingest-1", "ingest-2", "visits", "supervisor"]
    assert [r.port for r in plan if r.service == "ingest"] == [5001, 5002]


def test_plan_needs_one_port_per_replica() -> None:
    with pytest.raises(ValueError, match="4 ports needed, 3 given"):
        replica_plan(parse_replicas("visits=2"), [1, 2, 3])


def test_target_of_one_replica_is_host_port() -> None:
    assert grpc_target([5001]) == "127.0.0.1:5001"


def test_target_of_several_replicas_lists_every_address() -> None:
    assert grpc_target([5001, 5002]) == "ipv4:127.0.0.1:5001,127.0.0.1:5002"


def test_candidates_avoid_the_ephemeral_range() -> None:
    ports = port_candidates((32768, 60999), rng=random.Random(7))
    assert ports != sorted(ports)
    assert min(ports) == LOWEST_PORT
    assert not [port for port in ports if 32768 <= port <= 60999]
    assert {32767, 61000, 65535} <= set(ports)


def test_free_ports_are_distinct_and_skip_excluded() -> None:
    first, second, third = free_ports(3)
    assert free_ports(2, exclude=frozenset({second}), candidates=[first, first, second, third]) == [first, third]


def test_free_ports_skips_a_busy_port_and_says_when_too_few_are_free() -> None:
    (spare,) = free_ports(1)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        assert free_ports(1, candidates=[busy, spare]) == [spare]
        with pytest.raises(OSError, match="found only 0 of 1 free ports"):
            free_ports(1, candidates=[busy])


def test_default_ports_are_outside_the_ephemeral_range() -> None:
    low, high = ephemeral_range()
    assert not [port for port in free_ports(5) if low <= port <= high]


def test_port_is_free_sees_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
    assert port_is_free("127.0.0.1", port)

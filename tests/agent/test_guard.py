"""The agent's guard against accidental alarms, with an explicit clock."""

from __future__ import annotations

import pytest
from buergerkontakt_agent.guard import Guard


def test_twice_needs_a_second_press_within_the_window():
    guard = Guard("twice", 1.5)
    assert guard.pressed(0.0) is False
    guard.released(0.1)
    assert guard.pressed(1.0) is True  # the second press
    guard.released(1.1)
    assert guard.pressed(5.0) is False  # a new pair starts


def test_twice_ignores_auto_repeat_and_a_late_second_press():
    guard = Guard("twice", 1.5)
    assert [guard.pressed(t) for t in (0.0, 0.03, 0.06, 0.09)] == [False] * 4  # held: auto-repeat
    guard.released(0.2)
    assert guard.pressed(2.0) is False  # too late: counts as a first press
    guard.released(2.1)
    assert guard.pressed(2.5) is True


def test_hold_fires_once_after_the_time():
    guard = Guard("hold", 1.0)
    assert guard.pressed(0.0) is False
    assert guard.held(0.5) is False
    assert guard.held(1.01) is True
    assert guard.held(1.5) is False  # once per hold
    guard.released(1.6)
    assert guard.pressed(2.0) is False and guard.held(2.2) is False  # a short press raises nothing
    guard.released(2.3)


def test_none_fires_at_once_but_not_on_auto_repeat():
    guard = Guard("none")
    assert guard.pressed(0.0) is True
    assert guard.pressed(0.05) is False
    guard.released(0.1)
    assert guard.pressed(0.2) is True


def test_unknown_guard_is_refused():
    with pytest.raises(ValueError):
        Guard("sometimes")

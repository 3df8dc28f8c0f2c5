"""Check registry: a check is a plain function registered by decorator under the id the catalogue names.

A check receives the run context and its parameters (already merged: catalogue defaults, profile overrides) and
returns observations. It may raise :class:`NotApplicable` (a precondition the device or transport does not meet:
verdict *none* with the reason), :class:`Inconclusive` (not enough evidence to decide: verdict *inconc*) or
:class:`NotTested` (the check cannot judge this case yet: status *not tested*). Any other exception is a harness
error: the engine records verdict *error* and goes on.

``kind="passive"`` checks judge the shared observation (frames the device sent during the observation window);
``kind="active"`` checks drive the device (send frames, use the upper tester) and record their own evidence.
``needs`` names transport capabilities (``send``, ``receive``, ``upper_tester``, ``live``); a missing one makes
the case *not applicable with a reason*, never a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from .model import Observation

if TYPE_CHECKING:
    from .context import RunContext

CheckFunction = Callable[["RunContext", Mapping[str, Any]], Sequence[Observation]]


class NotApplicable(Exception):  # named like the ETSI verdict it produces
    """The check cannot apply to this device/transport; the case gets verdict none with this reason."""


class NotTested(Exception):  # named like the status it produces
    """The check exists but cannot judge this case yet (e.g. no scenario for this application): status *not
    tested*, verdict none — reported as not tested everywhere, never as passed."""


class Inconclusive(Exception):  # named like the verdict it produces
    """The evidence is not enough to decide; the case gets verdict inconc with this reason."""


@dataclass(frozen=True)
class RegisteredCheck:
    """A check function with its id, kind, needed capabilities, parameter names and one-line description."""

    id: str
    function: CheckFunction
    kind: str
    needs: tuple[str, ...]
    parameters: tuple[str, ...]
    description: str


_REGISTRY: dict[str, RegisteredCheck] = {}
VALID_KINDS = ("passive", "active")
VALID_NEEDS = ("send", "receive", "upper_tester", "live")


def check(
    check_id: str, *, kind: str = "passive", needs: Sequence[str] = ("receive",), parameters: Sequence[str] = ()
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the check ``check_id`` (decorator).

    Registration fails loudly (naming the check and the bad argument) on a duplicate id, an unknown kind or an
    unknown capability, so a broken plug-in is caught at import time rather than mid-run.
    """
    if kind not in VALID_KINDS:
        raise ConfigurationError(f"Check {check_id}: kind {kind!r} is not one of {', '.join(VALID_KINDS)}.")
    unknown = [need for need in needs if need not in VALID_NEEDS]
    if unknown:
        raise ConfigurationError(
            f"Check {check_id}: unknown capability {unknown[0]!r}.", hint=f"Valid: {', '.join(VALID_NEEDS)}."
        )

    def decorate(function: CheckFunction) -> CheckFunction:
        if check_id in _REGISTRY:
            raise ConfigurationError(f"Check {check_id} is registered twice ({function.__module__}).")
        doc = (function.__doc__ or "").strip().splitlines()
        _REGISTRY[check_id] = RegisteredCheck(
            check_id, function, kind, tuple(needs), tuple(parameters), doc[0] if doc else ""
        )
        return function

    return decorate


def registered_checks() -> dict[str, RegisteredCheck]:
    """Return every check registered so far, by id. The engine imports no checks: importing ``conformance.checks``
    registers the bundled ones (``conformance.checks.registered_checks`` is this function, reached that way)."""
    return dict(_REGISTRY)


def get_check(check_id: str) -> RegisteredCheck | None:
    """Return the registered check ``check_id``, or None when no implementation exists yet."""
    return registered_checks().get(check_id)

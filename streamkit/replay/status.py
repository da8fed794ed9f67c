"""``streamkit replay --status``: every recording's status from the state, without taking the lock."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .spec import ReplaySpec, plan_recordings
from .state import ReplayLock, ReplayState, _input_digest, _staleness


@dataclass(frozen=True)
class StatusRow:
    key: str
    input: str
    #: ``done``, ``stale``, ``pending``, ``running``, ``failed``
    status: str
    reason: str = ""
    error: str = ""
    finished: str = ""
    seconds: float = 0.0
    outputs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outputs"] = list(self.outputs)
        return d


def replay_status(spec: ReplaySpec) -> tuple[list[StatusRow], str | None]:
    """Every recording's status from the state (no lock taken), and who runs a replay now (or ``None``)."""
    holder = ReplayLock.holder(spec.output)
    state = ReplayState(spec.output)
    params = spec.fingerprint()
    rows = []
    for rec in plan_recordings(spec):
        rs = state.get(rec.key)
        try:
            _, _, digest = _input_digest(rec.input, rs)
            why = _staleness(rs, digest, params, spec.output)
        except OSError as exc:
            rows.append(StatusRow(rec.key, str(rec.input), "failed", error=f"cannot be read ({exc.strerror or exc})"))
            continue
        if rs is None:
            status = "pending"
        elif rs.status == "running":
            status, why = ("running", "") if holder else ("pending", "interrupted last time")
        elif rs.status == "failed":
            status = "failed"
        elif rs.status == "done":
            status = "stale" if why else "done"
        else:
            status = "pending"
        rows.append(StatusRow(rec.key, str(rec.input), status, why if status in ("stale", "pending") else "",
                              rs.error if rs else "", rs.finished if rs else "", rs.seconds if rs else 0.0,
                              tuple(rs.outputs) if rs else ()))
    return rows, holder

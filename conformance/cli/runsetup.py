"""Set up a run: profile + PICS + PIXIT + filters → plan → planned cases, run folder and metadata (``run.json``).

Run folder layout (read by the reports, documented in README.md "Run folder"):

=======================  ====================================================================================
``run.json``             what was run: tool, profile (+ file hashes), catalogue digest, edition (+ ASN.1 hash),
                         target, seed, keyword, parameters, PICS review, redacted PIXIT, the full plan
``journal.ndjson``       one record per decided verdict (flushed and fsynced as decided), run/end records
``evidence.ndjson``      every frame sent and received: raw bytes, MessageFrame bytes, timestamps
``pics.yaml``            the capability statement used (a copy, or the reference device's)
``profile.yaml``         the profile as resolved for this run (everything it extends merged: one standalone
                         profile file); the plan is made from it, and ``--resume`` plans from it again
``pixit.yaml``           with ``--pixit``: the lab parameters given, every ``sensitive`` value replaced by
                         ``***redacted***`` (no secret is written into the folder)
``catalogue/N/``         with ``--catalogue-path``: copies of the lab's requirement files (overlay N, in order),
                         which ``--resume`` and ``v2xc report render`` load instead of the lab's folders
``.lock``                the writer lock (``folderlock``), not an artefact: not signed
=======================  ====================================================================================

A run folder is self-contained: ``run.json`` names its copies by file name, relative to the folder (a name that
leaves the folder is refused), so ``--resume`` works from any path and after the folder was moved. A run whose
PIXIT had sensitive values resumes with ``--pixit FILE`` (the file it started with: its other values must equal
``pixit.yaml``, and its secrets are used); without it, resume stops with exit 2 naming the sensitive items.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..catalogue import (
    Catalogue,
    Pics,
    Pixit,
    Plan,
    Profile,
    ProfileSource,
    Status,
    load_pics,
    load_pixit,
    load_profile,
    make_plan,
)
from ..catalogue.clausemap import CLAUSE_MAP_FILE, load_clause_map
from ..catalogue.overlays import catalogue_dirs, catalogue_with, copy_overlays, profile_source, recorded_catalogue
from ..catalogue.pics import REDACTED
from ..catalogue.profiles import resolved_profile_data
from ..catalogue.yamlsrc import dump_yaml, load_yaml, read_data_file, validate
from ..checks import registered_checks
from ..codec import native as native_codec
from ..devices.reference_pics import reference_pics_yaml, reference_role  # importing devices registers sim://
from ..engine.runner import CheckCall, PlannedCase
from ..engine.timing import TimingBudget
from ..errors import ConfigurationError, UsageError
from ..standards.editions import load_edition
from .folderlock import lock_run_folder
from .targetcheck import check_addresses, check_upper_tester

RUN_FILE = "run.json"
#: The run folder's own copies of the resolved profile and of the PIXIT (sensitive values redacted).
PROFILE_FILE = "profile.yaml"
PIXIT_FILE = "pixit.yaml"
_PROFILE_HEADER = (
    "Profile {id} as this run resolved it (from {source}, everything it extends merged): what --resume plans from."
)
_PIXIT_HEADER = (
    "The PIXIT this run used (from {source}). Sensitive values are replaced by " + REDACTED + ": to resume,\n"
    "give the original file again: v2xc run --resume DIR --pixit FILE."
)


@dataclass
class RunSetup:
    """Everything needed to start (or resume) a run."""

    out_dir: Path
    run_id: str
    catalogue: Catalogue
    profile: Profile
    pics: Pics
    pixit: Pixit | None
    plan: Plan
    cases: list[PlannedCase]
    edition: str
    parameters: dict[str, Any]
    metadata: dict[str, Any]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def planned_cases(plan: Plan) -> list[PlannedCase]:
    """Turn plan entries into engine cases (one case per requirement, in plan order)."""
    cases = []
    for entry in plan.entries:
        requirement = entry.requirement
        cases.append(
            PlannedCase(
                case_id=requirement.id,
                requirement_id=requirement.id,
                title=requirement.title.en,
                clause="; ".join(str(reference) for reference in requirement.references),
                framework_node=", ".join(requirement.framework),
                status=entry.status.value,
                reason=entry.reason,
                checks=tuple(
                    CheckCall(check.id, {p.name: p.value for p in check.parameters}) for check in entry.checks
                ),
            )
        )
    return cases


def _edition(plan: Plan, requested: str | None) -> str:
    if requested:
        load_edition(requested)  # unknown edition → EditionError listing the valid ones
        return requested
    editions = sorted(
        {e.requirement.edition for e in plan.entries if e.status is Status.SELECTED and e.requirement.edition}
    )
    if len(editions) == 1:
        return editions[0]
    if not editions:
        raise UsageError(
            f"Profile {plan.profile.id} selects no edition-specific requirement for this device, so the message "
            "edition is unknown.",
            hint="Give --edition (see `v2xc editions`).",
        )
    raise UsageError(
        f"Profile {plan.profile.id} mixes editions {', '.join(editions)}.",
        hint="Give --edition to say which one the device under test speaks.",
    )


def _plan_record(plan: Plan) -> list[dict[str, object]]:
    return [entry.as_dict() for entry in plan.entries]


def prepare(
    *,
    profile_id: str,
    target: str,
    pics_path: Path | None,
    pixit_path: Path | None,
    out_dir: Path,
    keyword: str | None,
    seed: int,
    edition: str | None,
    observation_window: float | None,
    clause_map: Path | None = None,
    profiles_path: Sequence[Path] = (),
    catalogue_path: Sequence[Path] = (),
) -> RunSetup:
    """Load and check everything, create the run folder and write ``run.json``; nothing runs yet.

    ``clause_map`` is a laboratory's clause map (checked here, copied into the run folder, applied by the reports).
    ``profiles_path`` and ``catalogue_path`` are a lab's own profile and catalogue directories (besides those of
    ``V2XC_PROFILES_PATH`` / ``V2XC_CATALOGUE_PATH``); they are recorded so that ``--resume`` and the reports use them.
    """
    overlays = catalogue_dirs(catalogue_path)
    catalogue = catalogue_with(overlays)
    source = profile_source(profiles_path)
    profile = load_profile(profile_id, catalogue, source)
    if profile.abstract:
        raise UsageError(
            f"Profile {profile.id} is a building block, not a runnable profile.",
            hint="`v2xc profiles list` shows the runnable profiles.",
        )
    if (out_dir / "journal.ndjson").exists():
        raise UsageError(
            f"{out_dir} already holds a run.",
            hint=f"Continue it with `v2xc run --resume {out_dir}`, or give another --out.",
        )
    from ..transports import open_transport

    transport = open_transport(target)  # a malformed target URL is reported before anything is written
    role = reference_role(target)
    if pics_path is None and (role is None or role not in profile.roles):
        raise UsageError(
            "--pics is required: the capability statement of the device under test selects what is tested.",
            hint=f"Write one with `v2xc pics template --profile {profile.id}` and check it with `v2xc pics check`.",
        )
    if pics_path is not None:
        pics = load_pics(pics_path, profile, catalogue)  # a broken statement is reported before anything is written
    pixit = load_pixit(pixit_path, profile, catalogue) if pixit_path is not None else None
    check_addresses(target, transport, pixit)  # the URL, the PICS and the PIXIT must not contradict one another
    if pics_path is not None:
        check_upper_tester(target, transport, pics)
    confirmed = load_clause_map(clause_map, catalogue) if clause_map is not None else None  # checked before writing
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".v2xc-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"Cannot create the run folder {out_dir}: {exc.strerror or exc}.",
            hint="Give --out a folder you can write (not under /proc, not inside a file).",
        ) from None
    lock_run_folder(out_dir)  # one writer per folder, before anything is written into it
    if (out_dir / "journal.ndjson").exists():  # another run got here first (checked again under the lock)
        raise UsageError(
            f"{out_dir} already holds a run.",
            hint=f"Continue it with `v2xc run --resume {out_dir}`, or give another --out.",
        )
    for given, name in ((clause_map, CLAUSE_MAP_FILE), (pics_path, "pics.yaml"), (pixit_path, PIXIT_FILE)):
        if given is not None and (out_dir / name).resolve() == given.resolve():  # the copy would replace it
            raise UsageError(
                f"{given} is where the run folder keeps its own copy ({name}); the run would overwrite it"
                + (" with its secrets redacted." if name == PIXIT_FILE else "."),
                hint="Keep the lab's files outside the run folder, or give another --out.",
            )
    if clause_map is not None:
        shutil.copyfile(clause_map, out_dir / CLAUSE_MAP_FILE)
    overlay_copies = copy_overlays(overlays, out_dir)  # the lab's requirement files, for --resume and the reports
    pics_copy = out_dir / "pics.yaml"
    if pics_path is not None:
        shutil.copyfile(pics_path, pics_copy)
    else:
        assert role is not None
        pics_copy.write_text(
            reference_pics_yaml(profile, catalogue, role, dsmp="framing=dsmp" in target), encoding="utf-8"
        )
    # The resolved profile and the PIXIT (its secrets redacted) are kept too, so that the folder is all --resume needs.
    profile_copy = out_dir / PROFILE_FILE
    header = _PROFILE_HEADER.format(id=profile.id, source=json.dumps(profile.source))
    profile_copy.write_text(dump_yaml(resolved_profile_data(profile), header=header), encoding="utf-8")
    if pixit is not None:
        header = _PIXIT_HEADER.format(source=json.dumps(pixit.source))
        (out_dir / PIXIT_FILE).write_text(dump_yaml(_pixit_copy_data(pixit), header=header), encoding="utf-8")
    # The plan is made from the run folder's own copies, named relative to the folder, so that --resume (which reads
    # the same copies, from wherever the folder is given) recomputes exactly the same plan.
    folder_profile = load_profile(str(profile_copy), catalogue, ProfileSource())
    pics = load_pics(pics_copy, folder_profile, catalogue, label=pics_copy.name)
    plan = make_plan(catalogue, folder_profile, pics, keyword=keyword, available_checks=set(registered_checks()))
    chosen = _edition(plan, edition)
    parameters = {name: parameter.value for name, parameter in profile.parameters.items()}
    if observation_window is not None:
        parameters["observation_window_s"] = observation_window
    parameters["seed"] = seed
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    review = plan.review
    metadata: dict[str, Any] = {
        "run_id": run_id,
        # which codec judged the frames (the native engine and the Python path give the same verdicts; the
        # native one also decodes what asn1tools cannot: ARCHITECTURE.md "The native engine")
        "tool": {"name": "v2x-conformance", "version": __version__, "codec": native_codec.status()},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": {
            "id": profile.id,
            "title": {"zh": profile.title.zh, "en": profile.title.en},
            "source": profile.source,
            "chain": list(profile.chain),
            "sha256": _sha256(Path(profile.source)) if Path(profile.source).is_file() else None,
            "file": PROFILE_FILE,
            "resolved_sha256": _sha256(profile_copy),
        },
        "catalogue": {
            "digest": catalogue.digest,
            "files": list(catalogue.files),
            "overlays": [str(p.resolve()) for p in overlays],
            "copies": overlay_copies,
        },
        "edition": {"id": chosen, "asn1_sha256": load_edition(chosen).sha256},
        "target": target,
        "seed": seed,
        "keyword": keyword,
        "parameters": parameters,
        "pics": {
            "file": pics_copy.name,
            "source": str(pics_path) if pics_path else "reference device",
            "sha256": _sha256(pics_copy),
            "role": pics.role.value,
            "implementation": dict(pics.implementation),
            "review": {"conformant": review.conformant, "findings": [vars_of(f) for f in review.findings]},
        },
        "pixit": {
            "source": str(pixit_path) if pixit_path else None,
            "file": PIXIT_FILE if pixit else None,
            "sensitive": sorted(pixit.sensitive) if pixit else [],
            "values": pixit.redacted() if pixit else {},
        },
        "clause_map": (
            {"file": CLAUSE_MAP_FILE, **confirmed.summary(), "source": str(clause_map)} if confirmed else None
        ),
        "plan": _plan_record(plan),
        "plan_counts": plan.counts(),
        "resume": {
            "profile_id": profile_id,
            "target": target,
            "pics": str(pics_path) if pics_path else None,
            "pixit": str(pixit_path) if pixit_path else None,
            "keyword": keyword,
            "seed": seed,
            "edition": edition,
            "observation_window": observation_window,
            "profiles_path": [str(p.resolve()) for p in source.extra],
        },
    }
    (out_dir / RUN_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
    return RunSetup(
        out_dir, run_id, catalogue, profile, pics, pixit, plan, planned_cases(plan), chosen, parameters, metadata
    )


def _pixit_copy_data(pixit: Pixit) -> dict[str, Any]:
    """The PIXIT as the run folder keeps it: the values the file gave (defaults are supplied again when it is read),
    every sensitive one replaced by the redaction marker, so no secret is ever written into the folder."""
    given = {name: value for name, value in pixit.redacted().items() if name not in pixit.defaults}
    return {"pixit": {"profile": pixit.profile, "values": given}}


def vars_of(finding: Any) -> dict[str, Any]:
    """A PICS review finding as a plain mapping."""
    return {name: getattr(finding, name) for name in ("item", "status", "answer", "verdict", "reason")}


def _folder_file(out_dir: Path, name: object, what: str) -> Path:
    """The file ``name`` that ``run.json`` names as ``what``: a plain file name inside the run folder, nothing else
    (run.json may be tampered with; it must not make ``--resume`` read a file elsewhere)."""
    text = str(name)
    if Path(text).name != text or text in ("", ".", ".."):
        raise ConfigurationError(
            f"{out_dir / RUN_FILE} names {text!r} as {what}: not a file of the run folder.",
            hint="run.json may only name files inside its folder; start a new run.",
        )
    if (out_dir / text).is_symlink():
        raise ConfigurationError(
            f"{out_dir / text} ({what}) is a symbolic link: a run folder's copies are regular files of the folder.",
            hint="Replace the link by the file the run wrote, or start a new run.",
        )
    return out_dir / text


def _differences(kept: Mapping[str, Any], given: Mapping[str, Any]) -> list[str]:
    """The items whose (redacted) values differ between the run folder's PIXIT copy and a PIXIT given again."""
    return sorted(name for name in set(kept) | set(given) if kept.get(name) != given.get(name))


def _resume_pixit(
    out_dir: Path, metadata: Mapping[str, Any], profile: Profile, catalogue: Catalogue, given_path: Path | None
) -> Pixit | None:
    """The PIXIT of a resumed run: the folder's copy, with its sensitive values taken from ``given_path`` (the file
    the run started with, given again with ``--pixit``), whose other values must equal the copy's."""
    record = metadata.get("pixit") or {}
    kept_values: Mapping[str, Any]
    if record.get("file"):
        copy = _folder_file(out_dir, record["file"], "its PIXIT")
        document = load_yaml(copy, label=copy.name)
        validate(document, "pixit", "PIXIT")
        kept_values = document.data["pixit"].get("values") or {}
        label = f"{out_dir / copy.name}"
        hidden = sorted(
            name
            for name, value in kept_values.items()
            if value == REDACTED and name in catalogue.pixit_items and catalogue.pixit_items[name].sensitive
        )
        if given_path is None:
            if hidden:
                raise UsageError(
                    f"This run's PIXIT holds sensitive value(s) the run folder does not keep: {', '.join(hidden)} "
                    f"({label} shows {REDACTED}).",
                    hint=f"Give the PIXIT file the run started with: v2xc run --resume {out_dir} --pixit FILE "
                    f"(started with {record.get('source')}).",
                )
            return load_pixit(copy, profile, catalogue)
    else:  # a run without a PIXIT, or a folder written before run folders kept their PIXIT copy
        started = (metadata.get("resume") or {}).get("pixit")
        if not started:
            if given_path is not None:
                raise UsageError(
                    f"The run in {out_dir} was started without a PIXIT; --pixit cannot be added when resuming it.",
                    hint=f"Resume with v2xc run --resume {out_dir} alone, or start a new run with --pixit.",
                )
            return None
        if given_path is None:
            raise UsageError(
                f"The run in {out_dir} keeps no copy of its PIXIT (written by an earlier version; it started with "
                f"{started}).",
                hint=f"Give that PIXIT file again: v2xc run --resume {out_dir} --pixit FILE.",
            )
        kept_values, label = dict(record.get("values") or {}), f"{out_dir / RUN_FILE}"
        pixit = load_pixit(given_path, profile, catalogue)
        differing = _differences(kept_values, pixit.redacted())
        if differing:
            message = _differ_message(given_path, label, differing, (kept_values, pixit.redacted()), catalogue)
            raise UsageError(message, hint=_DIFFER_HINT)
        return pixit
    pixit = load_pixit(given_path, profile, catalogue)
    given_values = {name: value for name, value in pixit.redacted().items() if name not in pixit.defaults}
    differing = _differences(kept_values, given_values)
    if differing:
        message = _differ_message(given_path, label, differing, (kept_values, given_values), catalogue)
        raise UsageError(message, hint=_DIFFER_HINT)
    return pixit


_DIFFER_HINT = "Give the PIXIT file the run started with (a resumed run keeps its parameters), or start a new run."


def _differ_message(
    given_path: Path,
    label: str,
    differing: Sequence[str],
    values: tuple[Mapping[str, Any], Mapping[str, Any]],
    catalogue: Catalogue,
) -> str:
    """Name the differing items with both values (never a sensitive value: redacted in both, such an item differs
    only by being given in one file alone)."""
    items, (kept, given) = catalogue.pixit_items, values
    shown = "; ".join(
        f"{name} (sensitive: given in only one of them)"
        if name in items and items[name].sensitive
        else f"{name} = {given.get(name)!r} there, {kept.get(name)!r} in the run"
        for name in differing
    )
    return f"{given_path} is not the PIXIT this run started with ({label}): {shown}."


def resume(out_dir: Path, pixit_path: Path | None = None) -> tuple[RunSetup, Mapping[str, Any]]:
    """Rebuild the setup of an earlier run from its folder: ``run.json``, the resolved profile, PICS and PIXIT the
    folder keeps (the plan is recomputed and must be identical). ``pixit_path`` gives the PIXIT the run started
    with again, for the sensitive values the folder does not keep; its other values must equal the folder's copy."""
    path = out_dir / RUN_FILE
    if not path.is_file():
        raise ConfigurationError(
            f"{out_dir} holds no run (no {RUN_FILE}).",
            hint="--resume takes the output folder of an earlier `v2xc run`.",
        )
    lock_run_folder(out_dir)  # a folder another run is writing is not resumed under it
    try:
        metadata = json.loads(read_data_file(path, RUN_FILE))
        args = metadata["resume"]
        for key in ("resume", "profile", "pics", "pixit", "catalogue", "edition"):
            if not isinstance(metadata.get(key) or {}, dict):
                raise TypeError(f"{key!r} is not an object")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ConfigurationError(
            f"{path} is damaged: {type(exc).__name__}: {exc}; the run cannot be resumed from it.",
            hint="Start a new run (the journal and evidence of this folder stay as they are).",
        ) from None
    catalogue = recorded_catalogue(out_dir, metadata.get("catalogue") or {})  # the folder's copies of the overlays
    if (metadata.get("profile") or {}).get("file"):  # the resolved profile the folder keeps
        profile_copy = _folder_file(out_dir, metadata["profile"]["file"], "its profile")
        profile = load_profile(str(profile_copy), catalogue, ProfileSource())
    else:  # a folder written before run folders kept their resolved profile
        source = ProfileSource(extra=tuple(Path(p) for p in args.get("profiles_path", [])))
        profile = load_profile(args["profile_id"], catalogue, source)
    pics_name = _folder_file(out_dir, metadata["pics"]["file"], "its capability statement").name
    pics = load_pics(out_dir / pics_name, profile, catalogue, label=pics_name)
    pixit = _resume_pixit(out_dir, metadata, profile, catalogue, pixit_path)
    plan = make_plan(catalogue, profile, pics, keyword=args.get("keyword"), available_checks=set(registered_checks()))
    if _plan_record(plan) != metadata["plan"]:
        raise ConfigurationError(
            "The plan of this run has changed since it started (catalogue, profile or checks differ).",
            hint="Resume with the same toolkit version and data, or start a new run.",
        )
    setup = RunSetup(
        out_dir,
        metadata["run_id"],
        catalogue,
        profile,
        pics,
        pixit,
        plan,
        planned_cases(plan),
        metadata["edition"]["id"],
        dict(metadata["parameters"]),
        metadata,
    )
    return setup, args


def record_timing(out_dir: Path, budget: TimingBudget) -> None:
    """Add the run's measured timing budget, its clock and the decision rule to ``run.json`` (key ``timing``)."""
    from ..engine.timing import DECISION_RULE

    path = out_dir / RUN_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    timing = budget.as_dict()
    data["timing"] = {
        "clock": timing.pop("clock"),
        "decision_rule": DECISION_RULE,
        "coverage_factor": timing.pop("coverage_factor"),
        "budget": timing,
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)

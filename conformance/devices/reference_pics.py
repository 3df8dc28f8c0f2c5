"""The capability statement (PICS) and lab parameters (PIXIT) of the built-in reference devices.

When ``v2xc run`` targets ``sim://rsu`` or ``sim://obu`` without ``--pics``, it writes this statement into the run
folder (``pics.yaml``) and loads it like any vendor's file, so the report shows exactly what was declared. It says
what the reference devices really do: the RSU sends MAP, SPAT, RSI (static information, 1 Hz) and RSM and decodes
BSM; the OBU sends BSM, decodes MAP, SPAT, RSI, RSM and BSM and runs RLVW, AVW, TJW, EBW and FCW; both have the
upper tester; neither signs messages. The RSU numbers every message type +1 mod 128 per message (msgCnt
``sequence`` reading, also for MAP and SPAT).
"""

from __future__ import annotations

from ..catalogue import Catalogue, Profile, Role

CAPABILITIES: dict[Role, frozenset[str]] = {
    Role.RSU: frozenset(
        {
            "RSU.TX.MAP",
            "RSU.TX.SPAT",
            "RSU.TX.RSI",
            "RSU.TX.RSM",
            "RSU.RX.BSM",
            "RSU.RSI.STATIC",
            "RSU.RSM.PERCEPTION",
            "IUT.UPPER-TESTER",
        }
    ),
    Role.OBU: frozenset(
        {
            "OBU.TX.BSM",
            "OBU.RX.BSM",
            "OBU.RX.MAP",
            "OBU.RX.SPAT",
            "OBU.RX.RSI",
            "OBU.RX.RSM",
            "IUT.UPPER-TESTER",
            # the applications the reference OBU implements (conformance/devices/applications.py)
            "OBU.APP.RLVW",
            "OBU.APP.AVW",
            "OBU.APP.TJW",
            "OBU.APP.EBW",
            "OBU.APP.FCW",
        }
    ),
}


#: Answers to the items that are not yes/no questions (enum, integer, text), per role.
ANSWERS: dict[Role, dict[str, str]] = {
    Role.RSU: {"RSU.MSGCNT.MAP-READING": "sequence", "RSU.MSGCNT.SPAT-READING": "sequence"},
    Role.OBU: {},
}


def reference_role(target: str) -> Role | None:
    """The role of a ``sim://`` target (None for any other target)."""
    if target.startswith("sim://rsu"):
        return Role.RSU
    if target.startswith("sim://obu"):
        return Role.OBU
    return None


def reference_pics_yaml(
    profile: Profile, catalogue: Catalogue, role: Role, *, dsmp: bool = False, upper_tester: bool = True
) -> str:
    """A PICS file for ``profile`` answering every yes/no item the way the reference device behaves (``dsmp``: it
    frames with DSMP; ``upper_tester``: False for a device started with ``v2xc sim ... --no-ut``)."""
    supported = CAPABILITIES[role] | ({"IUT.DSMP"} if dsmp else frozenset())
    if not upper_tester:
        supported -= {"IUT.UPPER-TESTER"}
    lines = [
        "# Capability statement of the v2x-conformance built-in reference device (written by v2xc run or "
        "`v2xc sim --print-pics`).",
        "pics:",
        f"  profile: {profile.id}",
        f"  role: {role.value}",
        "  implementation:",
        "    vendor: v2x-conformance",
        f"    model: reference {role.value}",
        "  items:",
    ]
    for name in profile.pics:
        item = catalogue.pics_items[name]
        if item.roles and role not in item.roles:
            continue
        if item.type == "boolean":
            lines.append(f"    {name}: {'yes' if name in supported else 'no'}")
        elif name in ANSWERS.get(role, {}):
            lines.append(f"    {name}: {ANSWERS[role][name]}")
    return "\n".join(lines) + "\n"

"""Requirement catalogue, national framework, profiles, capability statements (PICS) and lab parameters (PIXIT).

Standards as data: catalogue files in ``conformance/standards/data/requirements/``, the framework in
``conformance/standards/data/framework.yaml``, profiles in ``conformance/standards/profiles/``, all validated
against the JSON Schemas in ``conformance/standards/data/schemas/``. See
``conformance/standards/data/requirements/README.md`` for the data model and check ids.
"""

from __future__ import annotations

from .loader import bundled_catalogue, load_catalogue, load_framework
from .models import Catalogue, CheckRef, Level, Parameter, Profile, Requirement, Role
from .pics import Pics, Pixit, Review, load_pics, load_pixit, pics_template, pixit_template, static_review
from .plan import Plan, PlanEntry, Status, make_plan
from .profiles import ProfileSource, load_all, load_profile

__all__ = [
    "Catalogue",
    "CheckRef",
    "Level",
    "Parameter",
    "Pics",
    "Pixit",
    "Plan",
    "PlanEntry",
    "Profile",
    "ProfileSource",
    "Requirement",
    "Review",
    "Role",
    "Status",
    "bundled_catalogue",
    "load_all",
    "load_catalogue",
    "load_framework",
    "load_pics",
    "load_pixit",
    "load_profile",
    "make_plan",
    "pics_template",
    "pixit_template",
    "static_review",
]

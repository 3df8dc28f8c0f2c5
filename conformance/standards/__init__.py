"""Standards as data: ASN.1 editions (``asn1/``), the requirement catalogue, framework, AID table and JSON Schemas
(``data/``), the bundled profiles (``profiles/``), the committed vector corpus (``corpus/``), and the modules that
read them (``editions``, ``editiondiff``, ``samples``, ``messages``). Everything here says what a
standard requires; nothing here runs a test.

The folders are package data: they travel inside the wheel, so an installed toolkit finds them wherever it runs.
"""

from pathlib import Path

STANDARDS_DIR = Path(__file__).resolve().parent
ASN1_DIR = STANDARDS_DIR / "asn1"
DATA_DIR = STANDARDS_DIR / "data"
SCHEMA_DIR = DATA_DIR / "schemas"
PROFILES_DIR = STANDARDS_DIR / "profiles"
CORPUS_DIR = STANDARDS_DIR / "corpus"

"""The domain layer stays pure: importing it never loads Django."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import dosewise.domain

DOMAIN_MODULES = sorted(
    f"dosewise.domain.{info.name}"
    for info in pkgutil.walk_packages(dosewise.domain.__path__)
    if not info.name.startswith("tests")
)


def test_domain_has_modules_to_check() -> None:
    assert "dosewise.domain.audit_chain" in DOMAIN_MODULES
    # A package is checked through its __init__, which imports its modules (scales: loader,
    # scoring, model).
    assert "dosewise.domain.scales" in DOMAIN_MODULES


def test_importing_every_domain_module_loads_no_django() -> None:
    imports = "; ".join(f"import {name}" for name in DOMAIN_MODULES)
    code = f"{imports}; import sys; print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_web_process_never_imports_the_icd10cm_package() -> None:
    """The package costs ~1.4 s and ~190 MB; only migration 0002 may import it."""
    code = (
        "import os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dosewise.settings'); "
        "import django; django.setup(); import dosewise.urls, dosewise.clinical.views, dosewise.clinical.icd10; "
        "print('simple_icd_10_cm' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DEBUG": "1"},
        check=True,
    )
    assert result.stdout.strip() == "False"

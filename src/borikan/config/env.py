"""One place that reads the environment (12-factor). Every setting has a safe local default."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent  # src/borikan
PROJECT_DIR = BASE_DIR.parent.parent  # the repository
VAR_DIR = PROJECT_DIR / "var"

env = environ.Env()

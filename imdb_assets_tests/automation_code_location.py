"""Code location for the end-to-end automation test: the project's definitions with automation wired in."""

from imdb_assets_tests.automation_helpers import automation_definitions

defs = automation_definitions()

"""cookiecutter post-generation hook: apply manifest.yml (logic in hooks/template_lib.py)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, json.loads(r'{{ template_hooks_dir | tojson }}'))

from template_lib import post_generate  # noqa: E402

sys.exit(post_generate(json.loads(r'{{ cookiecutter | tojson }}'), Path.cwd()))

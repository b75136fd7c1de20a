"""cookiecutter pre-generation hook: validate the answers (logic in hooks/template_lib.py)."""

import json
import sys

sys.path.insert(0, json.loads(r"""[{{ template_hooks_dir | tojson }}]""")[0])

from template_lib import pre_generate

sys.exit(pre_generate(json.loads(r"""{{ cookiecutter | tojson }}""")))

"""cookiecutter pre-generation hook: validate the answers (logic in hooks/template_lib.py)."""

import json
import sys

sys.path.insert(0, json.loads(r"""[{{ template_hooks_dir | tojson }}]""")[0])

from template_lib import pre_generate

answers = json.loads(r"""{{ cookiecutter | tojson }}""")
# manifest.yml as hooks/jinja_globals.py parsed it: the hook starts without importing PyYAML.
manifest = json.loads(r"""{{ template_manifest | tojson }}""")
sys.exit(pre_generate(answers, manifest))

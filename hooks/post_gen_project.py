"""cookiecutter post-generation hook: apply manifest.yml (logic in hooks/template_lib.py)."""

import json
import os
import sys

sys.path.insert(0, json.loads(r"""[{{ template_hooks_dir | tojson }}]""")[0])

from template_lib import post_generate

answers = json.loads(r"""{{ cookiecutter | tojson }}""")
# manifest.yml as hooks/jinja_globals.py parsed it: the hook starts without importing PyYAML.
manifest = json.loads(r"""{{ template_manifest | tojson }}""")
sys.exit(post_generate(answers, os.getcwd(), manifest))

"""hooks/jinja_subset.py renders exactly what Jinja renders, and leaves the rest to Jinja."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.environment import StrictEnvironment
from jinja2 import Environment, Template, TemplateAssertionError
from jinja2.ext import Extension

from tests import helpers

GLOBALS = helpers.jinja_globals_module()
jinja_subset = GLOBALS.jinja_subset

PROJECT = helpers.REPO_ROOT / "{{cookiecutter.project_slug}}"
HOOKS = helpers.REPO_ROOT / "hooks"
# The template's files that Jinja compiles on every render: none, all are in the subset.
COMPILED_BY_JINJA: set[str] = set()
# A file copier alone renders (its answers file): cookiecutter's environment cannot compile it.
COPIER_ONLY = "{% if _copier_conf is defined %}{{ _copier_conf.answers_file }}{% endif %}"
ODD_ANSWERS = {
    "project_name": 'A "quoted" \\ name_with_underscores',
    "description": 'Says "hi" with a \\ backslash, {{ braces }} and {% percent %}.',
    "author_name": 'O\'Brien "Ob"',
}


def _environments(keep_trailing_newline: bool = True) -> tuple[StrictEnvironment, Environment]:
    """cookiecutter's environment with this template's globals: as Jinja has it, and with the
    fast path of hooks/jinja_globals.py."""
    plain = StrictEnvironment(keep_trailing_newline=keep_trailing_newline)
    plain.globals.update(GLOBALS.template_globals())
    fast = StrictEnvironment(keep_trailing_newline=keep_trailing_newline)
    GLOBALS.configure(fast)
    return plain, fast


def _contexts() -> list[dict[str, Any]]:
    """Every valid pillar combination (other answers at their defaults), then every pairwise row
    of the multiple-choice answers with all pillars and with none, then odd text answers."""
    choices = helpers.template_answers.load_choices(helpers.template_answers.load_questions())
    everything = dict.fromkeys(helpers.PILLAR_ANSWERS, True)
    core = dict.fromkeys(helpers.PILLAR_ANSWERS, False)
    answers = [combo for combo in helpers.pillar_combinations() if helpers.is_valid(combo)]
    rows = helpers.pairwise(choices)
    answers += [{**pillars, **row} for pillars, row in itertools.product([everything, core], rows)]
    answers.append(ODD_ANSWERS)
    return [{"cookiecutter": {**helpers.defaults(), **combo}} for combo in answers]


def _template_files() -> list[Path]:
    files = [path for path in sorted(PROJECT.rglob("*")) if path.is_file()]
    files.append(HOOKS / "post_gen_project.py")
    return [path for path in files if _text(path) is not None]


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def test_every_file_and_name_renders_as_jinja_renders_it() -> None:
    """Each file of the template (and each path, and the hook) for every context: the fast path
    gives Jinja's output, by itself; and it takes every file but those that need Jinja."""
    plain, fast = _environments()
    sources = {
        path.relative_to(PROJECT, walk_up=True).as_posix(): path.read_text()
        for path in _template_files()
    }
    sources.update({f"name: {name}": name for name in list(sources) if "{" in name})
    compiled: set[str] = set()
    contexts = _contexts()
    for name, source in sources.items():
        try:
            expected = plain.from_string(source)
        except TemplateAssertionError:  # a copier-only file: cookiecutter never renders it
            with pytest.raises(TemplateAssertionError):
                fast.from_string(source)
            compiled.add(name)
            continue
        template = fast.from_string(source)
        if not isinstance(template, jinja_subset.SubsetTemplate):
            compiled.add(name)
            continue
        for context in contexts:
            assert template.render_subset(**context) == expected.render(**context), (name, context)
    assert compiled == {*COMPILED_BY_JINJA, COPIER_ONLY}


def test_cookiecutter_json_defaults_render_as_jinja_renders_them() -> None:
    """The answers' defaults render while prompting, without keep_trailing_newline."""
    plain, fast = _environments(keep_trailing_newline=False)
    for context in _contexts():
        for value in helpers.COOKIECUTTER_JSON.values():
            if isinstance(value, str):
                template = fast.from_string(value)
                assert isinstance(template, jinja_subset.SubsetTemplate)
                expected = plain.from_string(value).render(**context)
                assert template.render_subset(**context) == expected


CONTEXT = {
    "cookiecutter": {"package_name": "My_Pkg", "use_ml": True, "use_llm": False, "port": 3000},
    "other": "x",
    "nested": {"a": {"b": {"c": "deep"}}},
}
SUBSET = [
    "plain text, no Jinja at all\n",
    "from {{ cookiecutter.package_name }}.core import x\n",
    "src/{{cookiecutter.package_name}}/a_{{ cookiecutter.package_name }}.py",
    "{{ cookiecutter.use_ml }} {{ cookiecutter.port }} {{ cookiecutter.use_llm }}",
    "{{ cookiecutter.package_name | upper }}_LOG_LEVEL=INFO\n",
    "{{ cookiecutter.package_name | upper | lower | replace('_', '-') }}",
    "{{ cookiecutter.package_name | replace('My', 'Your', ) | title }}",
    "{{ cookiecutter.package_name | replace(\"_\", '\\\\') }} {{ '\\n\\t\\u00e9\\x41' }}",
    "{{ 'a' \"b\" 'c' }} {{ '}}' }} {{ '{{' }} {{ \"%}\" }}",
    "{{ cookiecutter.package_name | upper ~ '_' ~ cookiecutter.port ~ cookiecutter.use_ml }}",
    "{{ true }} {{ False }} {{ none }} {{ [cookiecutter.port == cookiecutter.port] }}",
    "{{ ['a', 'b',] }} {{ [] }} {{ ('x') }} {{ cookiecutter.use_ml | tojson }}",
    "{{ cookiecutter | tojson }}",
    "{{ other }} {{ cookiecutter.package_name is defined }} {{ other is not string }}",
    "{{ cookiecutter.items }} {{ cookiecutter['port'] }} {{ cookiecutter['use' ~ '_ml'] }}",
    "{{ nested.a['b'].c }} {{ nested['a'].b['c'] | upper }} {{ cookiecutter.items() | list }}",
    # if / elif / else, nested, with every operator of the subset
    "{% if cookiecutter.use_ml %}ml{% endif %}|{% if cookiecutter.use_llm %}llm{% endif %}",
    "{% if cookiecutter.use_llm %}a{% elif cookiecutter.package_name == 'My_Pkg' %}b{% endif %}",
    "{% if cookiecutter.use_llm %}a{% elif cookiecutter.package_name != 'My_Pkg' %}b{% else %}c"
    "{% endif %}",
    "{% if not cookiecutter.use_llm and cookiecutter.use_ml %}yes{% else %}no{% endif %}",
    "{% if not (cookiecutter.use_llm or cookiecutter.use_ml) %}yes{% else %}no{% endif %}",
    "{% if cookiecutter.use_llm or cookiecutter.port %}{{ cookiecutter.use_llm or 'x' }}"
    "{% endif %}",
    "{{ cookiecutter.use_ml and cookiecutter.port }} {{ not cookiecutter.port }}",
    "{% if cookiecutter.package_name in ['My_Pkg', 'b'] %}in{% endif %}",
    "{% if 'Pkg' not in cookiecutter.package_name %}out{% else %}in{% endif %}",
    "{% if not 'Pkg' in cookiecutter.package_name %}out{% else %}in{% endif %}",
    "{% if cookiecutter.use_ml %}{% if cookiecutter.use_llm %}1{% else %}2"
    "{% if cookiecutter.port == cookiecutter.port %}3{% endif %}{% endif %}{% else %}4{% endif %}",
    # for
    "{% for x in ['a', 'b'] %}<{{ x }}>{% endfor %}",
    "{%- for k, v in nested.items() %}\n{{ k }}={{ v }}{% endfor %}",
    "{% for k in cookiecutter.keys() if cookiecutter[k] %}{{ k }}:{{ cookiecutter[k] }};"
    "{% endfor %}",
    "{% for v in cookiecutter.values() %}{{ v }}{% if not loop.last %}, {% endif %}{% endfor %}",
    "{% for x in ['a', 'b', 'c'] if x != 'b' %}{{ loop.index }}/{{ loop.length }}"
    "{% if loop.first %} first{% endif %}{{ loop.last }}{{ loop.revindex0 }} {% endfor %}",
    "{% for x in ['a', 'b'] %}{% for y in ['c', 'd'] %}{{ x }}{{ y }}{{ loop.index }}"
    "{% endfor %}{{ loop.index }} {% endfor %}",
    "{% set x = 'outer' %}{% for x in ['a'] %}{{ x }}{% endfor %}{{ x }}",
    "{% for x in [] %}never{% endfor %}{% for x, y in [['a', 'b']] %}{{ x }}{{ y }}{% endfor %}",
    "{% for x in ['a'] %}{{ other }}{{ cookiecutter.package_name }}{% endfor %}",
    "{{ ['3.11', '3.12', '3.13'] | select('ge', '3.12') | list }} {{ ['a', 'b'] | join(' & ') }}",
    "{% set v = ['3.11', '3.12'] | select('ge', '3.12') | list %}"
    "{% for x in v %}{{ x }}{% endfor %}",
    "{{ '%-7s' | format(cookiecutter.package_name ~ '/') }}|",
    # numbers, arithmetic, dicts, conditional expressions, calls
    "{% for x in [1, 2] %}{{ x }}{% endfor %} {{ cookiecutter.port + 1 }} {{ -1 }} {{ 0 }}",
    "{{ [1, 2] + [3] }} {{ cookiecutter.port - 1 - 1 }} {{ -cookiecutter.port }} {{ [1, 2][-1] }}",
    "{{ {'a': 1, 'b': [2],} }} {{ {} }} {{ ({'a': 1}).a }} {{ (nested or {}).a.b.c }}",
    "{{ 'a' if cookiecutter.use_ml else 'b' }} {{ 'a' if cookiecutter.use_llm }}|"
    "{{ 'x' ~ ('a' if cookiecutter.use_llm) ~ 'y' }} {{ 'a' if false else 'b' if true }}",
    "{{ cookiecutter.package_name.upper() }} {{ cookiecutter.package_name.replace('_', '') }}",
    "{{ dict(a=1, b='x') }} {{ range(3) | list }} {{ cookiecutter.get('port', 1) }}",
    "{% set ns = namespace(a=[], b='x') %}{% set ns.a = ns.a + ['y'] %}{{ ns.a }}{{ ns.b }}",
    "{% set ns = namespace(seen=[]) %}{% for x in ['a', 'b'] if x != 'c' %}"
    "{% set ns.seen = ns.seen + [x ~ loop.index] %}{% endfor %}{{ ns.seen | join(',') }}",
    # for: else, variables set in the body
    "{% for x in [] %}a{% else %}none{% endfor %} {% for x in ['b'] if x == 'c' %}{% else %}0"
    "{% endfor %} {% for x in ['a'] %}{{ x }}{% else %}no{% endfor %}",
    "{% for x in ['a', 'b'] %}{% set y = x ~ '!' %}{{ y }}{% if y %}{% set y = 'z' %}{% endif %}"
    "{{ y }} {% endfor %}",
    "{% for x in [['a', 'b'], ['c']] %}{% set names = x | select('in', ['a', 'c']) | list %}"
    "{% if names %}{{ names | join(', ') }}{% endif %}{% for n in names %}{{ n }}{{ x }}"
    "{% endfor %}{% endfor %}",
    "{% for x in ['a'] %}{% for y in ['b'] %}{{ loop.index }}{{ x }}{% else %}{{ loop.index }}"
    "{% endfor %}{% endfor %}",
    "{% for x in ['a'] %}{% for k in nested.keys() %}{{ k }}{% endfor %}{% endfor %}",
    # is defined, of what is not
    "{{ cookiecutter.missing is defined }} {{ missing is undefined }} {{ missing is not defined }}",
    "{% if cookiecutter.missing is defined and cookiecutter.missing == 'x' %}x{% endif %}",
    "{{ nested.a.missing is defined }} {{ nested['x'] is defined }} {{ (missing is defined) }}",
    # set
    "{% set prefix = cookiecutter.package_name | upper %}{{ prefix }}_A={{ prefix }}_B",
    "{% set a = 'x' %}{% set a = a ~ 'y' %}{{ a }}",
    "{% if cookiecutter.use_ml %}{% set a = 'ml' %}{% else %}{% set a = 'no' %}{% endif %}{{ a }}",
    # whitespace control, comments and raw blocks
    "a  \n  {%- if cookiecutter.use_ml %}  \n b \n {% endif -%}  \n\n c",
    "a \n {{- cookiecutter.port -}} \n b {{ cookiecutter.port-}}\n c",
    "a \n\t{%- set x = 'x' -%}\n\t b",
    "line\n{% if cookiecutter.use_ml -%}\n  ml\n{%- endif %}\nend\n",
    "a {# a comment {{ x }} #} b {#- stripped -#}   c {#-#} d {##}",
    "{# multi\nline #}\n{#- x #}",
    "{% raw %}if(a){{b}}{%c%}{# d #}{% endraw %}\n",
    "x  {%- raw -%}  {{ a }}  {%- endraw -%}  y",
    "{% raw %}a{% endraw %}{{ cookiecutter.port }}{% raw %} c {% endraw %}",
    "{% if cookiecutter.use_llm %}{% raw %}{{ hidden }}{% endraw %}{% endif %}shown",
    "{%raw%}x{%endraw%} {%  raw  %}y{%  endraw  %}",
    "{{cookiecutter.port}}{%if cookiecutter.use_ml%}x{%endif%}",
    "trailing newlines\n\n",
    "",
]


@pytest.mark.parametrize("source", SUBSET)
def test_the_subset_renders_as_jinja_renders_it(source: str) -> None:
    plain, fast = _environments()
    template = fast.from_string(source)
    expected = plain.from_string(source).render(**CONTEXT)
    assert isinstance(template, jinja_subset.SubsetTemplate)
    assert template.render_subset(**CONTEXT) == expected


OUTSIDE = [
    "{%+ if cookiecutter.use_ml %}x{% endif %}",
    "{% if cookiecutter.use_ml +%}x{% endif %}",
    "{{+ cookiecutter.port }}",
    "{#+ c #}x",
    "{# c +#}x",
    "{% raw +%}x{% endraw %}",
    "{% raw %}x{%+ endraw %}",
    "{{ cookiecutter[1:2] }}",
    "{% for x in [1] recursive %}a{% endfor %}",
    "{% for x in ['a'] if loop.first %}a{% endfor %}",
    "{% for loop in ['a'] %}a{% endfor %}",
    "{% for x, x in [['a', 'b']] %}a{% endfor %}",
    "{% for x in ['a'] %}a{% endif %}",
    "{% if true %}a{% endfor %}",
    "{{ loop.index }}",
    "{% for x in ['a'] %}{{ x.upper() }}{% endfor %}",
    "{% for x in ['a'] if x.upper() %}{{ x }}{% endfor %}",
    "{% for x in [nested] %}{{ x.items(1) }}{% endfor %}",
    "{{ f(a=1, a=2) }}",
    "{{ f(a=1, 2) }}",
    "{{ f(*a) }}",
    "{{ 1.5 }}",
    "{{ 1_000 }}",
    "{{ 01 }}",
    "{{ 0x1 }}",
    "{{ 1e3 }}",
    "{{ 2 * 3 }}",
    "{{ {'a': 1}}}",
    "{{ x if y else }}",
    "{% if 'a' if true else 'b' %}x{% endif %}",
    "{% for x in ['a'] if true %}{% else %}{{ loop }}{% endfor %}",
    "{% set loop.x = 1 %}",
    "{% set ns.x %}block{% endset %}",
    "{% for x in [] %}{% else %}{% set y = 'a' %}{% endfor %}{{ y }}",
    "{{ cookiecutter.package_name | upper.x }}",
    "{{ cookiecutter.package_name | title.x }}",
    "{{ cookiecutter.package_name | replace('a', new='b') }}",
    "{{ cookiecutter.package_name | no_such_filter }}",
    "{{ cookiecutter.port is no_such_test }}",
    "{{ cookiecutter.port is divisibleby(3) }}",
    "{{ cookiecutter.port is divisibleby 3 }}",
    "{{ cookiecutter.port is sameas {} }}",
    "{{ cookiecutter.port is sameas none }}",
    "{{ 'a' == 'a' == 'a' }}",
    "{{ 1 < 2 }}",
    "{{ (1, 2) }}",
    "{% set a, b = 1, 2 %}",
    "{% set x %}block{% endset %}",
    "{% set true = 1 %}",
    "{% if cookiecutter.use_ml %}unclosed",
    "{% endif %}",
    "{% else %}",
    "{% if cookiecutter.use_ml %}a{% else %}b{% elif cookiecutter.port %}c{% endif %}",
    "{% if cookiecutter.use_ml %}a{% endif x %}",
    "{% if cookiecutter.use_ml: %}a{% endif %}",
    "{% raw %}unclosed",
    "{# unclosed",
    "{{ unclosed",
    "{{ (cookiecutter.port }}",
    "{{ cookiecutter.port) }}",
    "{{ }}",
    "{{ 'unterminated }}",
    "windows\r\nline endings {{ cookiecutter.package_name }}\r\n",
    "{{ é }}",
]


def _outcome(template: Any, **context: Any) -> str | Exception:
    """What rendering ``template`` gives: its text, or the error it raises."""
    try:
        return str(template.render(**context))
    except Exception as error:
        return error


@pytest.mark.parametrize("source", OUTSIDE)
def test_anything_else_goes_to_jinja(source: str) -> None:
    """Outside the subset, the environment compiles the template: Jinja renders it, or raises
    its own error (here, or when rendering)."""
    plain, fast = _environments()
    assert jinja_subset.parse(source, fast, lambda: Template("")) is None
    expected = _outcome(lambda: plain.from_string(source).render(**CONTEXT))
    assert repr(_outcome(lambda: fast.from_string(source).render(**CONTEXT))) == repr(expected)


@pytest.mark.parametrize(
    "source",
    [
        "{% for k, v in other.items() %}{{ k }}{% endfor %}",
        "{% for x in cookiecutter.port %}{{ x }}{% endfor %}",
        "{{ missing.attribute is defined }}",
        "{{ (missing ~ 'x') is defined }}",
        "{% set ns.x = 'a' %}{{ ns }}",
        "{% set ns = 'x' %}{% set ns.x = 'a' %}{{ ns }}",
        "{% for x in ['a'] %}{% set y = x %}{% endfor %}{{ y }}",
        "{% set y = 'top' %}{% for x in ['a'] %}{{ y }}{% set y = x %}{% endfor %}{{ y }}",
        "{{ cookiecutter.items()() }} {{ cookiecutter.items(1) }}",
    ],
)
def test_a_render_outside_the_subset_renders_through_jinja(source: str) -> None:
    """A name or attribute that is not defined, a call on something else than a dict: the
    subset gives the render to Jinja."""
    plain, fast = _environments()
    template = fast.from_string(source)
    assert isinstance(template, jinja_subset.SubsetTemplate)
    with pytest.raises(Exception):  # noqa: B017, PT011 (Unsupported, or the error met)
        template.render_subset(**CONTEXT)
    expected = _outcome(lambda: plain.from_string(source).render(**CONTEXT))
    assert repr(_outcome(lambda: template.render(**CONTEXT))) == repr(expected)


@pytest.mark.parametrize(
    "source",
    [
        "{{ cookiecutter.not_an_answer }}",
        "{{ not_a_variable }}",
        "{{ cookiecutter.port | replace('a', 'b') ~ cookiecutter.missing }}",
        "{% if cookiecutter.missing %}x{% endif %}",
        "{{ cookiecutter.use_ml in 'abc' }}",
        "{% if cookiecutter.use_llm %}{% set a = 'a' %}{% endif %}{{ a }}",
        "{{ a }}{% set a = 'a' %}",
        "{% for a, b in [cookiecutter.package_name] %}{{ a }}{% endfor %}",
        "{% for a in ['x'] %}{{ cookiecutter.missing }}{% endfor %}",
    ],
)
def test_a_render_outside_the_subset_is_jinjas(source: str) -> None:
    """A name or attribute Jinja finds undefined, or an error, at render time: the render is
    Jinja's, which raises its own error."""
    plain, fast = _environments()
    template = fast.from_string(source)
    assert isinstance(template, jinja_subset.SubsetTemplate)
    with pytest.raises(Exception) as expected:  # noqa: PT011 (any error: the same as Jinja's)
        plain.from_string(source).render(**CONTEXT)
    with pytest.raises(type(expected.value)) as raised:
        template.render(**CONTEXT)
    assert str(raised.value) == str(expected.value)


def test_an_environment_with_other_settings_goes_to_jinja() -> None:
    for settings in [
        {"trim_blocks": True},
        {"lstrip_blocks": True},
        {"autoescape": True},
        {"line_statement_prefix": "#"},
        {"variable_start_string": "[["},
        {"finalize": str},
    ]:
        environment = StrictEnvironment(keep_trailing_newline=True, **settings)
        assert jinja_subset.parse("{{ x }}", environment, lambda: Template("")) is None, settings


def test_an_extension_that_rewrites_the_source_goes_to_jinja() -> None:
    class Shout(Extension):
        def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
            return source.upper()

    shouting = Environment(extensions=[Shout])  # noqa: S701 (renders no HTML)
    assert jinja_subset.parse("{{ x }}", shouting, lambda: Template("")) is None
    plain = Environment()  # noqa: S701 (renders no HTML)
    assert jinja_subset.parse("{{ x }}", plain, lambda: Template("")) is not None


def test_a_trailing_newline_is_dropped_as_jinja_drops_it() -> None:
    """cookiecutter keeps it for files and hooks, not for the answers it renders while
    prompting."""
    plain, fast = _environments(keep_trailing_newline=False)
    for source in [
        "{{ cookiecutter.package_name }}\n",
        "a\n\n",
        "\n",
        "{% raw %}a\n{% endraw %}\n",
    ]:
        template = fast.from_string(source)
        assert isinstance(template, jinja_subset.SubsetTemplate)
        assert template.render(**CONTEXT) == plain.from_string(source).render(**CONTEXT)


def test_the_context_given_to_filters_is_filled_as_compiled_code_fills_it() -> None:
    """A filter that takes the render's context (select, map, ...) gets it as compiled code
    makes and fills it: the render's variables, then what the template set outside loops."""
    _, fast = _environments()
    source = (
        "{{ ['x'] | select('defined') | list }}{% set a = 'A' %}{% set _b = 'B' %}"
        "{% for i in ['z'] %}{% set c = i %}{% endfor %}{% set a = 'C' %}"
    )
    template = fast.from_string(source)
    assert isinstance(template, jinja_subset.SubsetTemplate)
    frame = jinja_subset.Frame(fast, None, dict(CONTEXT))
    jinja_subset._run(template._body, frame)
    compiled = Environment.from_string(fast, source)  # Jinja's own, in the same environment
    context = compiled.new_context(dict(CONTEXT))
    "".join(compiled.root_render_func(context))
    assert frame.context.vars == context.vars
    assert frame.context.exported_vars == context.exported_vars
    assert dict(frame.context.parent) == dict(context.parent)


def test_a_filter_or_call_that_may_have_side_effects_goes_to_jinja() -> None:
    """The fast path may give a render to Jinja halfway: it calls nothing that could act twice
    (a filter not Jinja's own, a function other than namespace, dict, range, a string's
    methods or a dict's views), nor changes a namespace it did not make."""
    calls: list[str] = []

    def shout(value: str) -> str:
        calls.append(value)
        return value.upper()

    plain, fast = _environments()
    fast.filters["shout"] = shout
    assert not isinstance(fast.from_string("{{ x | shout }}"), jinja_subset.SubsetTemplate)
    for source, variables in [
        ("{{ record('a') }}{{ missing }}", {"record": calls.append}),
        ("{{ items.append('a') }}{{ missing }}", {"items": calls}),
        ("{{ '{0.append}'.format(items) }}{{ missing }}", {"items": calls}),
        ("{% set ns.x = 'a' %}{{ missing }}", {"ns": plain.globals["namespace"]()}),
    ]:
        template = fast.from_string(source)
        assert isinstance(template, jinja_subset.SubsetTemplate)
        with pytest.raises(jinja_subset.Unsupported):
            template.render_subset(**variables)
        assert calls == []
        if "ns" in variables:
            assert not hasattr(variables["ns"], "x")

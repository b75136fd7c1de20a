"""Render a subset of Jinja without compiling it (the fast path of ``hooks/jinja_globals.py``).

Jinja lexes and parses a template, generates Python source from it and compiles that: for the
files of this template, most of a cookiecutter render's time. For the subset below, reading the
template into a small tree and walking it gives exactly Jinja's output, in a fraction of the time:

* text, ``{# comments #}`` and ``{% raw %}`` blocks;
* ``{{ expression }}``, printed as Jinja prints it (``str()``: ``True`` for a true boolean);
* ``{% set name = expression %}`` (inside a loop, for the iteration) and
  ``{% set namespace.attribute = expression %}``;
* ``{% if %}``, ``{% elif %}``, ``{% else %}``, ``{% endif %}``;
* ``{% for name in expression %}``, ``{% for a, b in expression if test %}``, with ``loop`` (a
  :class:`jinja2.runtime.LoopContext`) and ``{% else %}``, not ``recursive``;
* ``-`` whitespace control on either side of any tag, as Jinja's lexer applies it.

Expressions: names (the loops' variables, those the template set, then the render's variables
and the environment's globals), ``.attribute``, ``[item]``, calls of functions without side
effects (``namespace``, ``dict``, ``range``, a string's methods, a dict's ``items``, ``keys``,
``values`` and ``get``; inside loops only the dict's views), string and decimal integer
literals, ``true``/``false``/``none``, lists, dicts, Jinja's own filters and tests (tests
without arguments: ``is defined``, ``is not none``), ``a if test else b``, unary ``-``, ``+``,
``-``, ``~``, ``==``, ``!=``, ``in``, ``not in``, ``not``, ``and``, ``or`` and parentheses, with
Jinja's precedence. Calls go through the render's Jinja context (``context.call``, made as a
compiled template makes its own with ``new_context``), filters and tests through
:meth:`jinja2.Environment.call_filter` and ``call_test`` with that context, attributes and items
through ``getattr`` and ``getitem`` of the environment: the functions compiled code calls. As a
render may go to Jinja halfway, it calls nothing that could act twice and changes no object but
the namespaces it made.

Everything else goes to Jinja unchanged, so that Jinja renders it or raises its own error:
:func:`parse` returns None for a template outside the subset (a ``+`` on a tag, ``*``, ``/``,
``<``, a float, a call inside a loop, a ``set`` where Jinja scopes it apart, an unknown filter, a
syntax error, CR line endings) or for an environment configured otherwise than with Jinja's
default syntax, no autoescape, no sandbox and no extension that rewrites the source or its
tokens; a render that meets a name or attribute that is not defined (but in ``is defined``), a
variable that Jinja's scoping rules would resolve otherwise, or any error, renders through Jinja
instead. ``tests/test_jinja_subset.py`` renders every file of the template both ways for every
valid combination of answers.
"""

from __future__ import annotations

import operator
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from types import BuiltinMethodType
from typing import Any

from jinja2 import Environment, Template, Undefined
from jinja2.ext import Extension
from jinja2.filters import FILTERS
from jinja2.runtime import Context, LoopContext, new_context
from jinja2.tests import TESTS
from jinja2.utils import Namespace, missing

# Jinja's own patterns (jinja2/lexer.py), for its default delimiters and with trim_blocks and
# lstrip_blocks off: the first tag opener, a raw block's opening and closing tags, the end of a
# comment, of a statement and of an expression; whitespace, names, strings and the operators of
# the subset inside a tag.
OPENER = re.compile(r"\{[{%#]")
RAW_BEGIN = re.compile(r"\{%(-|\+|)\s*raw\s*(?:-%\}\s*|%\})")
RAW_END = re.compile(r"\{%(-|\+|)\s*endraw\s*(\+%\}|-%\}\s*|%\})")
COMMENT_END = re.compile(r"\+#\}|-#\}\s*|#\}")
_TOKENS = r"""\s*(?:
    (?P<end>END)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<string>'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)")
    |(?P<integer>(?:0|[1-9][0-9]*)(?![\w.]))
    |(?P<operator>==|!=|[|~()\[\]{},.:=+-]))"""
# An expression tag that is a name or a dotted name, from after its "{{" or "{{-" to its end.
DOTTED_NAME = re.compile(r"\s*([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)\s*(?:-\}\}\s*|\}\})", re.ASCII)
# The next token of an expression tag ("{{") and of a statement tag ("{%"), its end first.
TOKEN = {
    "{": re.compile(_TOKENS.replace("END", r"-\}\}\s*|\}\}"), re.VERBOSE | re.DOTALL),
    "%": re.compile(_TOKENS.replace("END", r"\+%\}|-%\}\s*|%\}"), re.VERBOSE | re.DOTALL),
}
CONSTANTS: dict[str, Any] = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "none": None,
    "None": None,
}
# Names the subset never reads or sets: Jinja's keywords and the names its compiler treats apart.
RESERVED = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "elif", "endif", "set", "for", "recursive"}
    | {"loop", "self", "super", "caller", "varargs", "kwargs"}
    | CONSTANTS.keys()
)
DEFAULT_SYNTAX = {
    "block_start_string": "{%",
    "block_end_string": "%}",
    "variable_start_string": "{{",
    "variable_end_string": "}}",
    "comment_start_string": "{#",
    "comment_end_string": "#}",
    "line_statement_prefix": None,
    "line_comment_prefix": None,
    "trim_blocks": False,
    "lstrip_blocks": False,
    "newline_sequence": "\n",
    "autoescape": False,
    "finalize": None,
    "is_async": False,
    "sandboxed": False,
}
SETTINGS = operator.attrgetter(*DEFAULT_SYNTAX)
DEFAULT_VALUES = tuple(DEFAULT_SYNTAX.values())


class Unsupported(Exception):
    """The template, or this render of it, is outside the subset: Jinja renders it."""


class Frame:
    """One render: the render's variables, the variables the template set so far, those of the
    loops being run (innermost last), the output."""

    def __init__(
        self, environment: Environment, name: str | None, variables: dict[str, Any]
    ) -> None:
        self.environment = environment
        self.name = name
        self.variables = variables
        self.assigned: dict[str, Any] = {}
        self.loops: list[dict[str, Any]] = []
        self.output: list[str] = []
        self._context: Context | None = None
        # Inside the operand of ``is defined``: undefined values are what it tests.
        self.lenient = 0
        # The namespaces this render made (it changes no other object).
        self.namespaces: list[Namespace] = []

    def resolve(self, name: str) -> Any:
        """The variable ``name`` as the render's context resolves it: the render's variables,
        then the environment's globals (the template sets none that it has not set yet)."""
        if name in self.variables:
            return self.variables[name]
        return self.environment.globals.get(name, missing)

    def assign(self, name: str, value: Any) -> None:
        """A variable set outside any loop: compiled code puts it in the render's context too,
        where a filter may read it."""
        self.assigned[name] = value
        if self._context is not None:
            _export(self._context, name, value)

    @property
    def context(self) -> Context:
        """Jinja's context of the render, as compiled code makes and fills it, for the filters
        and tests that take it (made when one is first called)."""
        if self._context is None:
            globals_ = self.environment.make_globals(None)
            context = new_context(self.environment, self.name, {}, self.variables, False, globals_)
            for name, value in self.assigned.items():
                _export(context, name, value)
            self._context = context
        return self._context


Expression = Callable[[Frame], Any]
Statement = Callable[[Frame], None]


class SubsetTemplate:
    """A template of the subset: renders like the Jinja template ``compiled()`` returns."""

    def __init__(
        self,
        environment: Environment,
        name: str | None,
        body: list[Statement],
        compiled: Callable[[], Template],
    ) -> None:
        self.environment = environment
        self.name = name
        self._body = body
        self._compiled = compiled

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Jinja's output for these variables (Jinja's own render for a name it would find
        undefined and for any error, so that it raises its own)."""
        try:
            return self.render_subset(*args, **kwargs)
        except Exception:  # Jinja renders it, and raises its own error if there is one
            return self._compiled().render(*args, **kwargs)

    def render_subset(self, *args: Any, **kwargs: Any) -> str:
        """The output, rendered by this module alone: raises :class:`Unsupported` (or the error
        met) where :meth:`render` gives the render to Jinja."""
        frame = Frame(self.environment, self.name, dict(*args, **kwargs))
        _run(self._body, frame)
        return "".join(frame.output)


def supports(environment: Environment) -> bool:
    """Whether ``environment`` has the settings the subset renders for."""
    if SETTINGS(environment) != DEFAULT_VALUES:
        return False
    return all(
        type(extension).preprocess is Extension.preprocess
        and type(extension).filter_stream is Extension.filter_stream
        for extension in environment.extensions.values()
    )


def parse(
    source: str,
    environment: Environment,
    compiled: Callable[[], Template],
    name: str | None = None,
) -> SubsetTemplate | None:
    """``source`` (of the template ``name``) as a :class:`SubsetTemplate`, or None when it is
    outside the subset."""
    if "\r" in source or not supports(environment):
        return None
    if source.endswith("\n") and not environment.keep_trailing_newline:
        source = source[:-1]  # as Jinja's lexer drops it
    try:
        body = _Parser(source, environment).parse()
    except Unsupported:
        return None
    return SubsetTemplate(environment, name, body, compiled)


def _run(body: list[Statement], frame: Frame) -> None:
    for statement in body:
        statement(frame)


# A token of a tag: ("name", "cookiecutter"), ("string", "-"), ("operator", "|"), ...; a tag:
# ("{", tokens) for an expression, ("%", tokens) for a statement.
Token = tuple[str, str]
Tag = tuple[str, list[Token]]


def _lex(source: str) -> list[str | Tag]:
    """The source as text (whitespace control applied, comments dropped, raw blocks as text)
    and tags, as Jinja's lexer splits it."""
    items: list[str | Tag] = []
    position = 0
    while opener := OPENER.search(source, position):
        start = opener.start()
        kind = source[start + 1]
        raw = RAW_BEGIN.match(source, start) if kind == "%" else None
        sign = raw.group(1) if raw else source[start + 2 : start + 3]
        sign = sign if sign in ("-", "+") else ""
        if sign == "+":
            raise Unsupported  # "+" keeps whitespace that lstrip_blocks would strip
        text = source[position:start]
        items.append(text.rstrip() if sign else text)
        if raw:
            end = RAW_END.search(source, raw.end())
            if end is None or end.group(1) == "+" or end.group(2).startswith("+"):
                raise Unsupported
            content = source[raw.end() : end.start()]
            items.append(content.rstrip() if end.group(1) else content)
            position = end.end()
        elif kind == "#":
            end = COMMENT_END.search(source, start + 2 + len(sign))
            if end is None or end.group().startswith("+"):
                raise Unsupported
            position = end.end()
        else:
            simple = DOTTED_NAME.match(source, start + 2 + len(sign)) if kind == "{" else None
            if simple:  # most tags: the same tokens, found faster
                tokens = [("name", simple.group(1))]
                for name in simple.group(2).split(".")[1:]:
                    tokens += [("operator", "."), ("name", name)]
                position = simple.end()
            else:
                tokens, position = _tag_tokens(source, start + 2 + len(sign), kind)
            items.append((kind, tokens))
    items.append(source[position:])
    return [item for item in items if item != ""]


def _tag_tokens(source: str, position: int, kind: str) -> tuple[list[Token], int]:
    """The tokens of the tag from ``position`` to its end, and the position after the end."""
    tokens: list[Token] = []
    depth = 0
    pattern = TOKEN[kind]
    while token := pattern.match(source, position):
        position = token.end()
        kind, value = token.lastgroup or "", token.group(token.lastgroup or 0)
        if kind == "end":
            if depth or value.startswith("+"):
                raise Unsupported  # an end inside brackets, or "+%}"
            return tokens, position
        if kind == "string":
            value = _string_value(value)
        elif kind == "operator" and value in ("(", "[", "{"):
            depth += 1
        elif kind == "operator" and value in (")", "]", "}"):
            depth -= 1
        tokens.append((kind, value))
    raise Unsupported


def _string_value(literal: str) -> str:
    """A string literal's value, unescaped as Jinja's lexer does it."""
    try:
        return literal[1:-1].encode("ascii", "backslashreplace").decode("unicode-escape")
    except UnicodeDecodeError as error:
        raise Unsupported from error


class _Parser:
    """Builds the statements of a template from its text and tags."""

    def __init__(self, source: str, environment: Environment) -> None:
        self.items = _lex(source)
        self.index = 0
        self.environment = environment
        # Names the template sets outside loops, and inside: read before they are set (or after
        # the loop), Jinja's scoping rules decide.
        self.assigned: set[str] = set()
        self.loop_assigned: set[str] = set()
        # The loops whose body is being read: whether each one reads ``loop``.
        self.loops: list[list[bool]] = []
        # Inside a loop's test or body: compiled code calls functions there with the loop's
        # variables (``_loop_vars``), for the functions that take the context.
        self.in_loop = 0
        # Inside a for loop's else block (a frame of its own in compiled code): no set there.
        self.in_else = 0

    def parse(self) -> list[Statement]:
        body, end = self._body()
        if end is not None:
            raise Unsupported  # an elif, else, endif or endfor outside its block
        return body

    def _body(self) -> tuple[list[Statement], tuple[str, _Tokens] | None]:
        """Statements up to an ``elif``, ``else``, ``endif`` or ``endfor`` tag (returned with the
        rest of its tokens) or to the end of the template."""
        body: list[Statement] = []
        while self.index < len(self.items):
            item = self.items[self.index]
            self.index += 1
            if isinstance(item, str):
                body.append(_text(item))
                continue
            kind, tokens = item
            stream = _Tokens(tokens, self)
            if kind == "{":
                body.append(_output(stream.whole_expression()))
                continue
            keyword = stream.name()
            if keyword in ("elif", "else", "endif", "endfor"):
                return body, (keyword, stream)
            if keyword == "if":
                body.append(self._if(stream.whole_expression(conditional=False)))
            elif keyword == "for":
                body.append(self._for(stream))
            elif keyword == "set":
                body.append(self._set(stream))
            else:
                raise Unsupported  # another tag
        return body, None

    def _block(self, *ends: str) -> tuple[list[Statement], str, _Tokens]:
        """The statements of a block, which must end with one of the tags ``ends``: returned
        with the tag's keyword and the rest of its tokens."""
        body, end = self._body()
        if end is None or end[0] not in ends:
            raise Unsupported
        return body, *end

    def _if(self, test: Expression) -> Statement:
        branches: list[tuple[Expression, list[Statement]]] = []
        while True:
            body, keyword, stream = self._block("elif", "else", "endif")
            branches.append((test, body))
            if keyword != "elif":
                break
            test = stream.whole_expression(conditional=False)
        stream.finish()
        otherwise: list[Statement] = []
        if keyword == "else":
            otherwise, _, stream = self._block("endif")
            stream.finish()
        return _if(branches, otherwise)

    def _for(self, stream: _Tokens) -> Statement:
        targets = [stream.name()]
        while stream.accept(("operator", ",")):
            targets.append(stream.name())
        if RESERVED.intersection(targets) or len(set(targets)) < len(targets):
            raise Unsupported
        stream.expect(("name", "in"))
        iterable = stream.expression(conditional=False)
        self.in_loop += 1
        test = stream.expression() if stream.accept(("name", "if")) else None
        stream.finish()  # no "recursive"
        self.loops.append([False])
        body, keyword, end = self._block("endfor", "else")
        end.finish()
        reads_loop = self.loops.pop()[0]
        self.in_loop -= 1
        otherwise: list[Statement] = []
        if keyword == "else":  # read outside the loop: Jinja runs it there
            self.in_else += 1
            otherwise, _, end = self._block("endfor")
            self.in_else -= 1
            end.finish()
        return _for(targets, iterable, test, body, reads_loop, otherwise)

    def _set(self, stream: _Tokens) -> Statement:
        name = stream.name()
        if name in RESERVED or self.in_else:
            raise Unsupported
        if stream.accept(("operator", ".")):
            attribute = stream.name()
            stream.expect(("operator", "="))
            return _set_attribute(stream.owner(name), attribute, stream.whole_expression())
        stream.expect(("operator", "="))
        value = stream.whole_expression()
        if self.loops:  # a variable of the loop's body (Jinja's loop frame)
            self.loop_assigned.add(name)
            return _set_in_loop(name, value)
        self.assigned.add(name)
        return _set(name, value)


class _Tokens:
    """The tokens of one tag, read by a recursive descent that follows Jinja's parser (its
    operator precedence, filters binding tighter than ``~``, one comparison per expression)."""

    def __init__(self, tokens: list[Token], parser: _Parser) -> None:
        self.tokens = [*tokens, END]
        self.index = 0
        self.parser = parser
        self.environment = parser.environment

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def accept(self, token: Token) -> bool:
        if self.tokens[self.index] == token:
            self.index += 1
            return True
        return False

    def expect(self, token: Token) -> None:
        if not self.accept(token):
            raise Unsupported

    def take(self, kind: str) -> str:
        """The value of the current token, which must be of ``kind``."""
        token_kind, value = self.tokens[self.index]
        if token_kind != kind:
            raise Unsupported
        self.index += 1
        return value

    def name(self) -> str:
        return self.take("name")

    def finish(self) -> None:
        if self.current != END:
            raise Unsupported

    def whole_expression(self, conditional: bool = True) -> Expression:
        expression = self.expression(conditional)
        self.finish()
        return expression

    def expression(self, conditional: bool = True) -> Expression:
        """An expression; with ``conditional``, ``a if test else b`` too (not in the tests of
        ``if`` tags nor in what a ``for`` loop iterates over, as in Jinja)."""
        value = self._or()
        while conditional and self.accept(("name", "if")):
            test = self._or()
            otherwise = self.expression() if self.accept(("name", "else")) else None
            value = _conditional(test, value, otherwise)
        return value

    def _or(self) -> Expression:
        left = self._and()
        while self.accept(("name", "or")):
            left = _or(left, self._and())
        return left

    def _and(self) -> Expression:
        left = self._not()
        while self.accept(("name", "and")):
            left = _and(left, self._not())
        return left

    def _not(self) -> Expression:
        if self.accept(("name", "not")):
            return _not(self._not())
        return self._compare()

    def _compare(self) -> Expression:
        left = self._sum()
        operator = COMPARISONS.get(self.current)
        if operator is None:
            return left
        self.index += 1
        if operator == "not" and not self.accept(("name", "in")):
            raise Unsupported
        comparison = _compare(left, operator, self._sum())
        if self.current in COMPARISONS:
            raise Unsupported  # a chained comparison
        return comparison

    def _sum(self) -> Expression:
        left = self._concat()
        while self.current in ARITHMETIC:
            operator = ARITHMETIC[self.current]
            self.index += 1
            left = _arithmetic(left, operator, self._concat())
        return left

    def _concat(self) -> Expression:
        parts = [self._unary()]
        while self.accept(("operator", "~")):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else _concat(parts)

    def _unary(self, filters: bool = True) -> Expression:
        if self.accept(("operator", "-")):
            value = _negative(self._unary(filters=False))
        else:
            value = self._primary()
        receiver, method = value, ""  # what a call calls a method of, and that method
        while True:
            if self.accept(("operator", ".")):
                receiver, method = value, self.name()
                value = _attribute(value, method)
                continue
            if self.accept(("operator", "[")):
                value = _item(value, self.expression())
                self.expect(("operator", "]"))
            elif self.accept(("operator", "(")):
                value = self._call(value, receiver, method)
            else:
                break
            method = ""
        while filters:
            if self.accept(("operator", "|")):
                value = self._filter(value)
            elif self.accept(("name", "is")):
                value = self._test(value)
            elif self.current in CALL_OR_SUBSCRIPT:
                raise Unsupported  # a call, a subscript, an attribute of a filtered value
            else:
                return value
        return value

    def _primary(self) -> Expression:
        if self.current[0] == "string":
            text = ""
            while self.current[0] == "string":
                text += self.take("string")  # adjacent literals join, as in Jinja
            return _constant(text)
        if self.accept(("operator", "(")):
            inner = self.expression()
            self.expect(("operator", ")"))
            return inner
        if self.accept(("operator", "[")):
            return _list(self._items(("operator", "]")))
        if self.accept(("operator", "{")):
            return self._dict()
        if self.current[0] == "integer":
            return _constant(int(self.take("integer")))
        name = self.name()
        if name in CONSTANTS:
            return _constant(CONSTANTS[name])
        if name == "loop" and self.parser.loops:
            self.parser.loops[-1][0] = True
        elif name in RESERVED:
            raise Unsupported
        return _name(name, self.parser.assigned, self.parser.loop_assigned)

    def _call(self, function: Expression, receiver: Expression, method: str) -> Expression:
        """A call (its ``(`` read), made as compiled code makes it: ``context.call``. In a loop,
        compiled code passes it the loop's variables: only a dict's views are called there
        (``receiver.method()``)."""
        positional: list[Expression] = []
        keywords: dict[str, Expression] = {}
        while not self.accept(("operator", ")")):
            if positional or keywords:
                self.expect(("operator", ","))
                if self.accept(("operator", ")")):
                    break
            if self.current[0] == "name" and self.tokens[self.index + 1] == ("operator", "="):
                keyword = self.name()
                self.index += 1
                if keyword in keywords:
                    raise Unsupported
                keywords[keyword] = self.expression()
            elif keywords:
                raise Unsupported  # a positional argument after a keyword one
            else:
                positional.append(self.expression())
        if self.parser.in_loop:
            if positional or keywords or method not in DICT_VIEWS:
                raise Unsupported
            return _dict_view(receiver, method)
        return _called(function, positional, keywords)

    def _dict(self) -> Expression:
        """A dict literal (its ``{`` read)."""
        pairs: list[tuple[Expression, Expression]] = []
        while not self.accept(("operator", "}")):
            if pairs:
                self.expect(("operator", ","))
                if self.accept(("operator", "}")):
                    break
            key = self.expression()
            self.expect(("operator", ":"))
            pairs.append((key, self.expression()))
        return _dict(pairs)

    def owner(self, name: str) -> Expression:
        """The namespace ``name`` of ``{% set name.attribute = ... %}``."""
        if name == "loop":
            raise Unsupported
        return _name(name, self.parser.assigned, self.parser.loop_assigned)

    def _items(self, closing: Token) -> list[Expression]:
        """Comma-separated expressions up to ``closing`` (a trailing comma allowed)."""
        items: list[Expression] = []
        while not self.accept(closing):
            if items:
                self.expect(("operator", ","))
                if self.accept(closing):
                    break
            if self.current[0] == "name" and self.tokens[self.index + 1] == ("operator", "="):
                raise Unsupported  # a keyword argument
            items.append(self.expression())
        return items

    def _filter(self, value: Expression) -> Expression:
        name = self.name()
        if self.environment.filters.get(name, 0) is not FILTERS.get(name, 1):
            raise Unsupported  # not one of Jinja's filters (without side effects), unknown
        if self.current == ("operator", "."):
            raise Unsupported  # a dotted name
        arguments = self._items(("operator", ")")) if self.accept(("operator", "(")) else []
        return _filtered(value, name, arguments)

    def _test(self, value: Expression) -> Expression:
        negated = self.accept(("name", "not"))
        name = self.name()
        if self.environment.tests.get(name, 0) is not TESTS.get(name, 1):
            raise Unsupported  # not one of Jinja's tests, or unknown
        kind, word = self.current
        if (
            kind in ("string", "integer")
            or (kind == "name" and word not in ("else", "or", "and"))
            or self.current in CALL_OR_SUBSCRIPT
            or self.current == ("operator", "{")
        ):
            raise Unsupported  # a test with an argument (as Jinja's parser reads one)
        return _tested(value, name, negated)


END: Token = ("end", "")
NO_ELSE = "an inline if-expression evaluated to false and no else section was defined."
COMPARISONS = {
    ("operator", "=="): "==",
    ("operator", "!="): "!=",
    ("name", "in"): "in",
    ("name", "not"): "not",
}
CALL_OR_SUBSCRIPT = {("operator", "("), ("operator", "["), ("operator", ".")}
ARITHMETIC = {("operator", "+"): "+", ("operator", "-"): "-"}
DICT_VIEWS = ("items", "keys", "values")
DICT_METHODS = (*DICT_VIEWS, "get")


# The statements and expressions of the tree, each a function of the frame.


def _text(text: str) -> Statement:
    return lambda frame: frame.output.append(text)


def _output(value: Expression) -> Statement:
    return lambda frame: frame.output.append(str(value(frame)))


def _set(name: str, value: Expression) -> Statement:
    return lambda frame: frame.assign(name, value(frame))


def _set_in_loop(name: str, value: Expression) -> Statement:
    """A variable set in a loop's body: it lives in the iteration (compiled code keeps it in the
    loop's frame, and in ``_loop_vars`` for the calls this module leaves to Jinja)."""

    def assign(frame: Frame) -> None:
        frame.loops[-1][name] = value(frame)

    return assign


def _set_attribute(owner: Expression, attribute: str, value: Expression) -> Statement:
    """``{% set ns.attribute = value %}``: compiled code refuses anything but a namespace."""

    def assign(frame: Frame) -> None:
        namespace = owner(frame)
        if not any(namespace is own for own in frame.namespaces):
            raise Unsupported  # not a namespace (Jinja raises its error), or not the render's
        namespace[attribute] = value(frame)

    return assign


def _if(
    branches: list[tuple[Expression, list[Statement]]], otherwise: list[Statement]
) -> Statement:
    def choose(frame: Frame) -> None:
        for test, body in branches:
            if test(frame):
                _run(body, frame)
                return
        _run(otherwise, frame)

    return choose


def _export(context: Context, name: str, value: Any) -> None:
    """What compiled code does with a variable set outside any loop."""
    context.vars[name] = value
    if not name.startswith("_"):
        context.exported_vars.add(name)


def _for(
    targets: list[str],
    iterable: Expression,
    test: Expression | None,
    body: list[Statement],
    reads_loop: bool,
    otherwise: list[Statement],
) -> Statement:
    """A ``for`` loop: the items of ``iterable`` (those that pass ``test``), bound to
    ``targets`` (unpacked when there are several) and, when the body reads it, ``loop``; then
    ``otherwise`` when there was none."""

    def bind(item: Any) -> dict[str, Any]:
        if len(targets) == 1:
            return {targets[0]: item}
        return dict(zip(targets, item, strict=True))

    def passing(frame: Frame, items: Iterable[Any]) -> Iterable[Any]:
        for item in items:
            if test is not None:
                frame.loops.append(bind(item))
                try:
                    passes = test(frame)
                finally:
                    frame.loops.pop()
                if not passes:
                    continue
            yield item

    def run(frame: Frame) -> None:
        items = passing(frame, iterable(frame))
        ran = False
        if reads_loop:
            for item, loop in LoopContext(items, frame.environment.undefined):
                frame.loops.append({**bind(item), "loop": loop})
                _run(body, frame)
                frame.loops.pop()
                ran = True
        else:
            for item in items:
                frame.loops.append(bind(item))
                _run(body, frame)
                frame.loops.pop()
                ran = True
        if not ran:
            _run(otherwise, frame)

    return run


def _constant(value: Any) -> Expression:
    return lambda _frame: value


def _list(items: list[Expression]) -> Expression:
    return lambda frame: [item(frame) for item in items]


def _defined(frame: Frame, value: Any) -> Any:
    """``value``, unless it is undefined: then the render goes to Jinja (but for the operand of
    ``is defined``, which gets the value compiled code gets)."""
    if isinstance(value, Undefined) and not frame.lenient:
        raise Unsupported
    return value


def _name(name: str, assigned: set[str], loop_assigned: set[str]) -> Expression:
    def lookup(frame: Frame) -> Any:
        for variables in reversed(frame.loops):
            if name in variables:
                return variables[name]
        if name in loop_assigned:
            raise Unsupported  # set in a loop, read outside its iteration: Jinja decides
        if name in frame.assigned:
            return frame.assigned[name]
        if name in assigned:
            raise Unsupported  # read before the template sets it
        value = frame.resolve(name)
        if value is missing:
            value = frame.environment.undefined(name=name)
        return _defined(frame, value)

    return lookup


def _attribute(value: Expression, name: str) -> Expression:
    return lambda frame: _defined(frame, frame.environment.getattr(value(frame), name))


def _item(value: Expression, key: Expression) -> Expression:
    return lambda frame: _defined(frame, frame.environment.getitem(value(frame), key(frame)))


def _called(
    function: Expression, positional: list[Expression], keywords: dict[str, Expression]
) -> Expression:
    """A call of a function without side effects (the render may yet go to Jinja, which would
    call it again): ``namespace``, ``dict``, ``range``, a string's methods, a dict's views and
    ``get``. A namespace made here is the render's own, so ``set`` may change it."""

    def call(frame: Frame) -> Any:
        callee = function(frame)
        if not _pure(callee):
            raise Unsupported
        result = frame.context.call(
            callee,
            *[argument(frame) for argument in positional],
            **{key: argument(frame) for key, argument in keywords.items()},
        )
        if isinstance(result, Namespace):
            frame.namespaces.append(result)
        return result

    return call


def _pure(callee: Any) -> bool:
    if any(callee is function for function in (Namespace, dict, range)):
        return True
    if not isinstance(callee, BuiltinMethodType):
        return False
    owner, method = type(callee.__self__), callee.__name__
    if owner is str:
        return method not in ("format", "format_map")  # these call the arguments' own code
    return owner in (dict, OrderedDict) and method in DICT_METHODS


def _dict(pairs: list[tuple[Expression, Expression]]) -> Expression:
    return lambda frame: {key(frame): value(frame) for key, value in pairs}


def _conditional(test: Expression, value: Expression, otherwise: Expression | None) -> Expression:
    def choose(frame: Frame) -> Any:
        if test(frame):
            return value(frame)
        if otherwise is None:  # compiled code's value: Undefined, whatever the environment's
            return Undefined(hint=NO_ELSE)
        return otherwise(frame)

    return choose


def _arithmetic(left: Expression, operator: str, right: Expression) -> Expression:
    if operator == "+":
        return lambda frame: left(frame) + right(frame)
    return lambda frame: left(frame) - right(frame)


def _negative(operand: Expression) -> Expression:
    return lambda frame: -operand(frame)


def _dict_view(value: Expression, name: str) -> Expression:
    def call(frame: Frame) -> Any:
        mapping = value(frame)
        if type(mapping) not in (dict, OrderedDict):
            raise Unsupported  # Jinja's context.call decides how to call anything else
        return getattr(mapping, name)()

    return call


def _filtered(value: Expression, name: str, arguments: list[Expression]) -> Expression:
    return lambda frame: frame.environment.call_filter(
        name,
        value(frame),
        [argument(frame) for argument in arguments],
        context=frame.context,
    )


def _tested(value: Expression, name: str, negated: bool) -> Expression:
    lenient = name in ("defined", "undefined")

    def test(frame: Frame) -> Any:
        frame.lenient += lenient
        try:
            operand = value(frame)
        finally:
            frame.lenient -= lenient
        result = frame.environment.call_test(name, operand, context=frame.context)
        return not result if negated else result

    return test


def _concat(parts: list[Expression]) -> Expression:
    return lambda frame: "".join([str(part(frame)) for part in parts])


def _compare(left: Expression, operator: str, right: Expression) -> Expression:
    compare: Callable[[Any, Any], bool] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "in": lambda a, b: a in b,
        "not": lambda a, b: a not in b,
    }[operator]
    return lambda frame: compare(left(frame), right(frame))


def _not(operand: Expression) -> Expression:
    return lambda frame: not operand(frame)


def _and(left: Expression, right: Expression) -> Expression:
    return lambda frame: left(frame) and right(frame)


def _or(left: Expression, right: Expression) -> Expression:
    return lambda frame: left(frame) or right(frame)

"""``$filter`` for the sandbox: odata-query's lexer and parser, evaluated by an AST visitor.

odata-query implements OData v4; Exact speaks OData v2. The v4 lexer and parser are used
unchanged, and a small adapter on the *token stream* (not on the text) turns Exact's v2 forms
into the v4 tokens the parser knows:

- ``guid'…'`` and ``datetime'…'`` (an identifier directly followed by a string) become GUID and
  DATETIME/DATE literals;
- integer/decimal suffixes ``L``, ``M``, ``D``, ``F`` are dropped;
- ``not(…)`` (``not`` glued to a parenthesis) becomes the NOT operator;
- v2-only functions (``substringof``) are moved to an ``odata2`` namespace so that the v4
  function-table check lets them through; the evaluator gives them their v2 meaning.
No hand-written parser: the grammar stays odata-query's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from odata_query import ast
from odata_query.exceptions import ODataException
from odata_query.grammar import ODataLexer, ODataParser
from odata_query.visitor import NodeVisitor

from hfexact.sandbox.failures import ApiError
from hfexact.sandbox.odata.wire import parse_datetime
from hfexact.sandbox.schema import EntityType

V2_ONLY_FUNCTIONS = {"substringof"}
SUPPORTED_FUNCTIONS = {
    "substringof", "startswith", "endswith", "trim", "tolower", "toupper", "length",
    "year", "month", "day", "hour", "minute", "second", "round", "floor", "ceiling",
    "indexof", "substring", "concat",
}
Predicate = Callable[[Mapping[str, Any]], bool]


def _syntax_error() -> ApiError:
    return ApiError(400, "Error in query syntax.")


def _v2_tokens(text: str) -> Iterator[Any]:
    tokens = list(ODataLexer().tokenize(text))
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.type == "ODATA_IDENTIFIER" and not tok.value.namespace:
            name = tok.value.name
            lname = name.lower()
            glued = nxt is not None and nxt.index == tok.index + len(name)
            if glued and nxt is not None and nxt.type == "STRING" and lname in (
                    "guid", "datetime", "datetimeoffset"):
                tok.type, tok.value = _typed_literal(lname, nxt.value.val)
                i += 2
                yield tok
                continue
            if glued and nxt is not None and nxt.type == "(" and lname == "not":
                tok.type, tok.value = "NOT", ast.Not()
            elif lname in V2_ONLY_FUNCTIONS:
                tok.value = ast.Identifier(lname, ("odata2",))
        if (tok.type in ("INTEGER", "DECIMAL") and nxt is not None
                and nxt.type == "ODATA_IDENTIFIER" and nxt.value.name.lower() in "lmdf"
                and len(nxt.value.name) == 1 and nxt.index == tok.index + len(tok.value.val)):
            i += 2
            yield tok
            continue
        yield tok
        i += 1


def _typed_literal(prefix: str, raw: str) -> tuple[str, ast._Literal]:
    if prefix == "guid":
        try:
            return "GUID", ast.GUID(str(uuid.UUID(raw)))
        except ValueError:
            raise _syntax_error() from None
    try:
        parse_datetime(raw)
    except ValueError:
        raise _syntax_error() from None
    return "DATETIME", ast.DateTime(raw)


def parse(text: str) -> ast._Node:
    try:
        node: ast._Node = ODataParser().parse(_v2_tokens(text))
    except ODataException:
        raise _syntax_error() from None
    if node is None:
        raise _syntax_error()
    return node


def referenced_properties(node: ast._Node) -> set[str]:
    """Names of the properties a filter mentions (for mandatory-filtering checks)."""
    found: set[str] = set()

    class Collect(NodeVisitor):
        def visit_Identifier(self, ident: ast.Identifier) -> None:
            found.add(ident.name)

        def visit_Call(self, call: ast.Call) -> None:
            for arg in call.args:
                self.visit(arg)

    Collect().visit(node)
    return found


def compile_filter(text: str, etype: EntityType) -> tuple[Predicate, set[str]]:
    """Parse ``text`` and check its properties against ``etype``; returns (predicate, names)."""
    node = parse(text)
    names = referenced_properties(node)
    for name in sorted(names):
        if etype.kind(name) is None:
            raise ApiError(400, f"No property '{name}' exists in type '{etype.name}'.")

    def predicate(record: Mapping[str, Any]) -> bool:
        return bool(_Evaluator(record).visit(node))

    return predicate, names


def _norm(value: Any) -> Any:
    """Bring values to comparable Python forms (GUIDs as lower-case text, numbers as Decimal)."""
    if isinstance(value, uuid.UUID):
        return str(value).lower()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _compare(op: ast._Comparator, left: Any, right: Any) -> bool:
    left, right = _norm(left), _norm(right)
    both_guids = (isinstance(left, str) and isinstance(right, str)
                  and _looks_guid(left) and _looks_guid(right))
    if both_guids:
        left, right = left.lower(), right.lower()
    if isinstance(op, ast.Eq):
        return bool(left == right)
    if isinstance(op, ast.NotEq):
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if isinstance(op, ast.Lt):
            return bool(left < right)
        if isinstance(op, ast.LtE):
            return bool(left <= right)
        if isinstance(op, ast.Gt):
            return bool(left > right)
        if isinstance(op, ast.GtE):
            return bool(left >= right)
    except TypeError:
        raise ApiError(400, "Operator types are incompatible.") from None
    raise ApiError(400, "Operator not supported.")


def _looks_guid(text: str) -> bool:
    return len(text) == 36 and text.count("-") == 4


class _Evaluator(NodeVisitor):
    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = record

    def visit_Identifier(self, node: ast.Identifier) -> Any:
        return self.record.get(node.name)

    def visit_Null(self, node: ast.Null) -> Any:
        return None

    def visit_Integer(self, node: ast.Integer) -> Any:
        return Decimal(node.val)

    def visit_Float(self, node: ast.Float) -> Any:
        return Decimal(node.val)

    def visit_Boolean(self, node: ast.Boolean) -> Any:
        return node.val.lower() == "true"

    def visit_String(self, node: ast.String) -> Any:
        return node.val

    def visit_GUID(self, node: ast.GUID) -> Any:
        return node.val.lower()

    def visit_DateTime(self, node: ast.DateTime) -> Any:
        return parse_datetime(node.val)

    def visit_Date(self, node: ast.Date) -> Any:
        return parse_datetime(node.val)

    def visit_Compare(self, node: ast.Compare) -> Any:
        return _compare(node.comparator, self.visit(node.left), self.visit(node.right))

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        if isinstance(node.op, ast.And):
            return bool(self.visit(node.left)) and bool(self.visit(node.right))
        return bool(self.visit(node.left)) or bool(self.visit(node.right))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        if isinstance(node.op, ast.Not):
            return not self.visit(node.operand)
        value = self.visit(node.operand)
        return -value if value is not None else None

    def visit_Call(self, node: ast.Call) -> Any:
        name = node.func.name.lower()
        if name not in SUPPORTED_FUNCTIONS:
            raise ApiError(400, f"Unknown function '{node.func.name}'.")
        args = [self.visit(a) for a in node.args]
        try:
            return _call(name, args)
        except (ValueError, ArithmeticError, LookupError, TypeError):
            raise ApiError(400, f"No function signature for the function with name '{name}' "
                                "matches the specified arguments.") from None

    def generic_visit(self, node: ast._Node) -> Any:
        raise ApiError(400, "Error in query syntax.")


def _call(name: str, args: list[Any]) -> Any:
    if any(a is None for a in args) and name not in ("concat",):
        return None
    if name == "substringof":
        return str(args[0]).lower() in str(args[1]).lower()
    if name == "startswith":
        return str(args[0]).startswith(str(args[1]))
    if name == "endswith":
        return str(args[0]).endswith(str(args[1]))
    if name == "trim":
        return str(args[0]).strip()
    if name == "tolower":
        return str(args[0]).lower()
    if name == "toupper":
        return str(args[0]).upper()
    if name == "length":
        return Decimal(len(str(args[0])))
    if name == "indexof":
        return Decimal(str(args[0]).find(str(args[1])))
    if name == "concat":
        return "".join("" if a is None else str(a) for a in args)
    if name == "substring":
        start = int(args[1])
        return str(args[0])[start:start + int(args[2])] if len(args) > 2 else str(args[0])[start:]
    if name in ("year", "month", "day", "hour", "minute", "second"):
        value = args[0]
        if not isinstance(value, dt.datetime):
            raise ApiError(400, f"Function '{name}' needs a date.")
        return Decimal(getattr(value, name))
    number = Decimal(args[0])
    if name == "round":
        return number.quantize(Decimal(1))
    if name == "floor":
        return number.to_integral_value(rounding="ROUND_FLOOR")
    return number.to_integral_value(rounding="ROUND_CEILING")

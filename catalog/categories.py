"""The category tree, loaded in one query and cached.

Navigation, breadcrumbs, "this category and everything below it" filters and category agreements in pricing
all read this tree instead of walking ``Category.parent`` row by row. Thousands of categories cost one query
per cache lifetime; any change to a category drops the cached tree (signals in ``catalog/apps.py``).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property

from django.core.cache import cache
from django.utils import translation

from catalog.models import Category

VERSION_KEY = "catalog:category-tree:version"
CACHE_SECONDS = 60 * 15
# The tree itself stays in this process; only a small version number goes through the shared cache, so a
# request does not unpickle thousands of categories, and a change in one process reaches the others.
_local: dict = {}


@dataclass(frozen=True)
class CategoryNode:
    id: int
    code: str
    name: str
    name_en: str
    parent_id: int | None
    sort_order: int
    is_active: bool

    @property
    def display_name(self) -> str:
        if (translation.get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


@dataclass
class CategoryTree:
    nodes: dict[int, CategoryNode]
    children: dict[int | None, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        children: dict[int | None, list[int]] = {}
        for node in sorted(self.nodes.values(), key=lambda n: (n.sort_order, n.name, n.id)):
            parent = node.parent_id if node.parent_id in self.nodes else None
            children.setdefault(parent, []).append(node.id)
        self.children = children

    def get(self, category_id: int | None) -> CategoryNode | None:
        return self.nodes.get(category_id) if category_id is not None else None

    def ancestors(self, category_id: int | None) -> list[int]:
        """The category and its parents, nearest first. Guards against a cycle in bad data."""
        path: list[int] = []
        current = category_id
        while current is not None and current in self.nodes and current not in path:
            path.append(current)
            current = self.nodes[current].parent_id
        return path

    def breadcrumb(self, category_id: int | None) -> list[CategoryNode]:
        return [self.nodes[i] for i in reversed(self.ancestors(category_id))]

    def depth(self, category_id: int) -> int:
        return len(self.ancestors(category_id)) - 1

    @cached_property
    def _descendants(self) -> dict[int, frozenset[int]]:
        result: dict[int, frozenset[int]] = {}

        def collect(node_id: int, seen: set[int]) -> frozenset[int]:
            if node_id in result:
                return result[node_id]
            seen.add(node_id)
            ids = {node_id}
            for child in self.children.get(node_id, []):
                if child not in seen:
                    ids |= collect(child, seen)
            result[node_id] = frozenset(ids)
            return result[node_id]

        for node_id in self.nodes:
            collect(node_id, set())
        return result

    def descendants(self, category_id: int) -> frozenset[int]:
        """The category and every category below it."""
        return self._descendants.get(category_id, frozenset())

    def is_visible(self, category_id: int | None) -> bool:
        """A category is shown to dealers when it and all its parents are active."""
        return category_id in self._visible

    @cached_property
    def _visible(self) -> frozenset[int]:
        return frozenset(
            node_id for node_id in self.nodes if all(self.nodes[i].is_active for i in self.ancestors(node_id))
        )

    @cached_property
    def hidden(self) -> frozenset[int]:
        """Categories not shown to dealers: inactive, or below an inactive one."""
        return frozenset(self.nodes) - self._visible

    def visible_children(self, category_id: int | None) -> list[CategoryNode]:
        return [self.nodes[i] for i in self.children.get(category_id, []) if self.nodes[i].is_active]


def load_category_tree() -> CategoryTree:

    rows = Category.objects.values_list("id", "code", "name", "name_en", "parent_id", "sort_order", "is_active")
    return CategoryTree(nodes={row[0]: CategoryNode(*row) for row in rows})


def category_tree() -> CategoryTree:
    """The whole tree, loaded (one query) when this process has none or another process changed a category;
    kept at most ``CACHE_SECONDS``."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.set(VERSION_KEY, version, CACHE_SECONDS)
    held = _local.get("tree")
    if held is None or held[0] != version or held[1] < time.monotonic() - CACHE_SECONDS:
        held = (version, time.monotonic(), load_category_tree())
        _local["tree"] = held
    return held[2]


def category_tree_forget(**_kwargs) -> None:
    """Make every process load the tree again; connected to every save and delete of a category."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, CACHE_SECONDS)
    _local.pop("tree", None)

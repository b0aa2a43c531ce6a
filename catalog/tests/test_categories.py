"""The cached category tree."""

import pytest

from catalog.categories import CategoryNode, CategoryTree, category_tree
from catalog.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_ancestors_descendants_breadcrumb():
    root = CategoryFactory(name="Elektrik")
    child = CategoryFactory(name="Aydınlatma", parent=root)
    leaf = CategoryFactory(name="Panel", parent=child)
    other = CategoryFactory(name="Hırdavat")
    tree = category_tree()
    assert tree.ancestors(leaf.pk) == [leaf.pk, child.pk, root.pk]
    assert tree.descendants(root.pk) == {root.pk, child.pk, leaf.pk}
    assert tree.descendants(other.pk) == {other.pk}
    assert [n.name for n in tree.breadcrumb(leaf.pk)] == ["Elektrik", "Aydınlatma", "Panel"]
    assert tree.depth(leaf.pk) == 2
    assert [n.name for n in tree.visible_children(None)] == ["Elektrik", "Hırdavat"]


def test_a_category_under_an_inactive_parent_is_not_visible():
    root = CategoryFactory(is_active=False)
    child = CategoryFactory(parent=root)
    tree = category_tree()
    assert not tree.is_visible(child.pk)
    assert not tree.is_visible(None)


def test_loaded_once_then_cached_and_dropped_on_change(django_assert_num_queries):
    category = CategoryFactory(name="Eski")
    with django_assert_num_queries(1):
        category_tree()
        category_tree()
    category.name = "Yeni"
    category.save()
    with django_assert_num_queries(1):
        assert category_tree().get(category.pk).name == "Yeni"


def test_a_cycle_in_bad_data_does_not_hang():
    tree = CategoryTree(
        nodes={
            1: CategoryNode(1, "A", "A", "", 2, 0, True),
            2: CategoryNode(2, "B", "B", "", 1, 0, True),
        }
    )
    assert tree.ancestors(1) == [1, 2]
    assert tree.descendants(1) >= {1}

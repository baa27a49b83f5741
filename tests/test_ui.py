"""The Dagster UI, as a person sees it: a real webserver, its GraphQL API and headless Chromium.

One ``dagster-webserver`` per module, on a free loopback port, built from the
parsed dbt manifest (no warehouse needed). The GraphQL tests read the asset
graph and the checks the UI is drawn from; the browser tests open the lineage
pages in Debian's Chromium (set up by ``make test``, ``make browser``; without
it they skip, saying why), driven by Playwright without any browser download,
and follow the drawn edges from the raw ``orders`` file to the risk mart.
Screenshots go to ``tests/output/ui/``.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

import pytest

from tests.ui_server import CHROMIUM_ARGS, DagsterWebserver, ensure_chromium

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).parent / "output" / "ui"
RAW_ORDERS = ("raw", "orders")
STG_ORDERS = ("staging", "stg_marketplace__orders")
RISK_MART = ("marts", "fct_user_risk_features_daily")
LAYERS = ("raw", "staging", "intermediate", "marts")  # the order data flows through the groups
GRAPH_TIMEOUT_S = 45


# --- the server -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ui(tmp_path_factory, dbt_manifest):
    server = DagsterWebserver(tmp_path_factory.mktemp("dagster_home"), tmp_path_factory.mktemp("ui_scratch"))
    server.start()
    try:
        assert server.graphql("{ shouldShowNux }")["shouldShowNux"] is True  # a fresh instance
        # Until this is sent, the UI covers every page with a welcome dialog.
        assert server.graphql("mutation { setNuxSeen }")["setNuxSeen"] is True
        yield server
    finally:
        server.stop()


def path_of(key: dict) -> tuple[str, ...]:
    return tuple(key["path"])


def shortest_path(edges: dict, start, goal) -> list | None:
    """Breadth-first search over ``edges`` (node -> downstream nodes)."""
    previous = {start: None}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for child in edges.get(node, ()):
            if child not in previous:
                previous[child] = node
                todo.append(child)
    return None


# --- GraphQL ------------------------------------------------------------------------------------

ASSET_GRAPH = """
{ assetNodes {
    assetKey { path } groupName isPartitioned
    dependencyKeys { path } dependedByKeys { path }
} }
"""

ASSET_CHECKS = """
query ($keys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $keys) {
    assetKey { path }
    hasAssetChecks
    assetChecksOrError {
      __typename
      ... on AssetChecks { checks { name blocking jobNames description } }
      ... on Error { message }
    }
    gate: assetCheckOrError(checkName: "great_expectations") {
      __typename
      ... on AssetCheck { name blocking assetKey { path } }
    }
  }
}
"""


@pytest.fixture(scope="module")
def asset_nodes(ui) -> dict[tuple[str, ...], dict]:
    nodes = ui.graphql(ASSET_GRAPH)["assetNodes"]
    return {path_of(n["assetKey"]): n for n in nodes}


def test_graphql_shows_the_layers_as_groups(ui, asset_nodes):
    assert ui.graphql("{ shouldShowNux }")["shouldShowNux"] is False
    groups = {n["groupName"] for n in asset_nodes.values()}
    assert set(LAYERS) <= groups, groups
    orders = asset_nodes[RAW_ORDERS]
    assert orders["groupName"] == "raw" and orders["isPartitioned"] is True
    assert orders["dependencyKeys"] == []  # a raw file has no upstream
    for key, node in asset_nodes.items():
        if key[0] in LAYERS:
            assert node["groupName"] == key[0], key


def test_graphql_lineage_links_raw_orders_to_the_risk_mart(asset_nodes):
    downstream: dict[tuple, set[tuple]] = {}
    for key, node in asset_nodes.items():
        for parent in node["dependencyKeys"]:
            downstream.setdefault(path_of(parent), set()).add(key)
    # Both directions of the API agree.
    for key, node in asset_nodes.items():
        assert {path_of(k) for k in node["dependedByKeys"]} == downstream.get(key, set()), key

    assert STG_ORDERS in downstream[RAW_ORDERS]
    path = shortest_path(downstream, RAW_ORDERS, RISK_MART)
    assert path, f"no lineage from {RAW_ORDERS} to {RISK_MART}; raw/orders feeds {downstream[RAW_ORDERS]}"
    # The lineage only moves forward through the layers (raw -> ... -> marts).
    ranks = [LAYERS.index(asset_nodes[k]["groupName"]) for k in path]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == LAYERS.index("marts"), path


def test_graphql_raw_orders_has_a_blocking_great_expectations_check(ui):
    from expectations import all_suites

    suite_assets = sorted({tuple(s.asset_key_path) for s in all_suites()})
    assert RAW_ORDERS in suite_assets
    keys = [{"path": list(k)} for k in suite_assets]
    nodes = {path_of(n["assetKey"]): n for n in ui.graphql(ASSET_CHECKS, {"keys": keys})["assetNodes"]}
    assert set(nodes) == set(suite_assets)

    orders = nodes[RAW_ORDERS]
    assert orders["hasAssetChecks"] is True
    assert orders["assetChecksOrError"]["__typename"] == "AssetChecks", orders["assetChecksOrError"]
    checks = {c["name"]: c for c in orders["assetChecksOrError"]["checks"]}
    gate = checks["great_expectations"]
    assert gate["blocking"] is True
    assert "trustqa_nightly" in gate["jobNames"]
    assert "raw.orders" in gate["description"]
    # Every gate suite is a blocking check on its asset, as the UI shows it.
    for key, node in nodes.items():
        assert node["gate"] == {
            "__typename": "AssetCheck",
            "name": "great_expectations",
            "blocking": True,
            "assetKey": {"path": list(key)},
        }, key


# --- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Path:
    return ensure_chromium()


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    # a dev dependency like pytest (requirements-dev.lock): missing means a broken install, not a skip
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium_profile"),  # an empty profile
            executable_path=str(chromium),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1600, "height": 1400},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser, ui):
    page = browser.new_page()
    page.set_default_timeout(GRAPH_TIMEOUT_S * 1000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Nothing but the webserver: the network is closed, and a test must not wait on it.
    page.route(lambda url: not url.startswith(ui.url + "/"), lambda route: route.abort())
    yield page
    page.close()
    assert not errors, f"uncaught errors in the UI: {errors}"


# What the asset graph draws: SVG <foreignObject> boxes for assets and groups, <path> edges
# between them. Dagster 1.13's markup: asset names are in an element whose class contains
# `assetName` (the full name in `data-tooltip` when zoomed in, middle-truncated text when zoomed
# out); group names are `data-tooltip`s in group headers.
READ_GRAPH_JS = """
() => {
  const svg = document.querySelector('[data-svg-viewport] svg');
  if (!svg) return null;
  const box = (fo) => ({x: +fo.getAttribute('x'), y: +fo.getAttribute('y'),
                        w: +fo.getAttribute('width'), h: +fo.getAttribute('height')});
  const assets = [], groups = [];
  for (const fo of svg.querySelectorAll('foreignObject')) {
    const name = fo.querySelector('[class*="assetName"]');
    if (name) {
      const full = name.querySelector('[data-tooltip]');
      assets.push({...box(fo), label: full ? full.getAttribute('data-tooltip') : name.textContent.trim(),
                   selected: !!fo.querySelector('[class*="_selected"]')});
      continue;
    }
    const header = fo.querySelector('[class*="groupNodeHeader"] [data-tooltip], ' +
                                    '[class*="collapsedGroupNode"] [data-tooltip]');
    if (header) groups.push({...box(fo), label: header.getAttribute('data-tooltip')});
  }
  const edges = [];
  for (const p of svg.querySelectorAll('path[marker-end]')) {
    const n = p.getTotalLength(), a = p.getPointAtLength(0), b = p.getPointAtLength(n);
    edges.push({from: {x: a.x, y: a.y}, to: {x: b.x, y: b.y}});
  }
  return {assets, groups, edges};
}
"""


def shows_name(label: str, name: str) -> bool:
    """Does a drawn label show ``name`` (the UI shortens long names in the middle: ``fct_user_ri…_daily``)?"""
    if "…" not in label:
        return label == name
    head, tail = label.split("…", 1)
    return len(head) + len(tail) < len(name) and name.startswith(head) and name.endswith(tail)


def distance(point: dict, box: dict) -> float:
    dx = max(box["x"] - point["x"], 0, point["x"] - (box["x"] + box["w"]))
    dy = max(box["y"] - point["y"], 0, point["y"] - (box["y"] + box["h"]))
    return (dx * dx + dy * dy) ** 0.5


def drawn_edges(boxes: list[dict], edges: list[dict], slack: float = 30) -> dict[int, set[int]]:
    """The boxes (by index) each drawn edge joins: its ends touch the source and the target box."""
    joined: dict[int, set[int]] = {}
    for edge in edges:
        ends = []
        for point in (edge["from"], edge["to"]):
            near = min(range(len(boxes)), key=lambda i: distance(point, boxes[i]), default=None)
            ends.append(near if near is not None and distance(point, boxes[near]) <= slack else None)
        if None not in ends and ends[0] != ends[1]:
            joined.setdefault(ends[0], set()).add(ends[1])
    return joined


def inside(inner: dict, outer: dict) -> bool:
    return (
        outer["x"] <= inner["x"]
        and inner["x"] + inner["w"] <= outer["x"] + outer["w"]
        and outer["y"] <= inner["y"]
        and inner["y"] + inner["h"] <= outer["y"] + outer["h"]
    )


def wait_for_graph(page, done, what: str) -> dict:
    """Poll the drawn graph until ``done(graph)`` holds (layout and edges render asynchronously)."""
    graph = None
    for _ in range(GRAPH_TIMEOUT_S * 2):
        graph = page.evaluate(READ_GRAPH_JS)
        if graph and done(graph):
            return graph
        page.wait_for_timeout(500)
    page.screenshot(path=SCREENSHOTS / "failed.png", full_page=True)
    pytest.fail(
        f"{what} not drawn within {GRAPH_TIMEOUT_S} s (see {SCREENSHOTS / 'failed.png'}); drawn: {str(graph)[:3000]}"
    )


def find(boxes: list[dict], name: str, within: dict | None = None) -> list[int]:
    return [i for i, b in enumerate(boxes) if shows_name(b["label"], name) and (within is None or inside(b, within))]


def asset_path(graph: dict, start: tuple[str, str], goal: tuple[str, str]) -> list[int] | None:
    """A drawn edge path from asset ``start`` to asset ``goal``, each in its group's box."""
    assets, groups = graph["assets"], {g["label"]: g for g in graph["groups"]}
    if start[0] not in groups or goal[0] not in groups:
        return None
    sources = find(assets, start[1], groups[start[0]])
    targets = find(assets, goal[1], groups[goal[0]])
    if len(sources) != 1 or len(targets) != 1:
        return None
    return shortest_path(drawn_edges(assets, graph["edges"]), sources[0], targets[0])


@pytest.fixture(scope="module", autouse=True)
def screenshots_folder():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "failed.png").unlink(missing_ok=True)  # a previous run's


def test_global_lineage_page_draws_the_layers_in_order(ui, page, asset_nodes):
    from playwright.sync_api import expect

    page.goto(f"{ui.url}/asset-groups")
    page.get_by_text("Global asset lineage").first.wait_for()

    def layers_joined(graph):
        groups = graph["groups"]
        ids = {g["label"]: i for i, g in enumerate(groups)}
        return (
            set(LAYERS) <= set(ids)
            and shortest_path(drawn_edges(groups, graph["edges"]), ids["raw"], ids["marts"]) is not None
        )

    graph = wait_for_graph(page, layers_joined, "raw -> marts group lineage")
    # The group boxes say "N assets (fetching statuses)" until the live data has loaded.
    expect(page.get_by_text("fetching statuses")).to_have_count(0, timeout=GRAPH_TIMEOUT_S * 1000)
    page.screenshot(path=SCREENSHOTS / "global_asset_lineage.png", full_page=True)

    groups = graph["groups"]
    labels = [g["label"] for g in groups]
    assert sorted(labels) == sorted({n["groupName"] for n in asset_nodes.values()}), labels  # each group once
    edges = drawn_edges(groups, graph["edges"])
    joined = {(labels[a], labels[b]) for a, targets in edges.items() for b in targets}
    assert ("raw", "staging") in joined, joined
    assert not any(b == "raw" for _, b in joined), f"nothing feeds the raw files: {joined}"
    path = [labels[i] for i in shortest_path(edges, labels.index("raw"), labels.index("marts"))]
    assert path[0] == "raw" and path[-1] == "marts"
    assert page.get_by_role("dialog").count() == 0  # no welcome dialog over the graph


def test_mart_lineage_page_draws_the_path_from_raw_orders(ui, page, asset_nodes):
    # The API's upstream lineage of the mart: what the page must draw.
    upstream, todo = set(), [RISK_MART]
    while todo:
        for parent in map(path_of, asset_nodes[todo.pop()]["dependencyKeys"]):
            if parent not in upstream:
                upstream.add(parent)
                todo.append(parent)
    expected = upstream | {RISK_MART}
    api_edges = {(p, k) for k in expected for p in map(path_of, asset_nodes[k]["dependencyKeys"])}

    # Upstream "all the way": the UI caps the depth at the graph's own.
    page.goto(f"{ui.url}/assets/{'/'.join(RISK_MART)}?view=lineage&lineageScope=upstream&lineageDepth=100")
    graph = wait_for_graph(
        page,
        lambda g: asset_path(g, RAW_ORDERS, RISK_MART) is not None and len(g["edges"]) >= len(api_edges),
        "the edge path raw/orders -> marts/fct_user_risk_features_daily",
    )
    page.screenshot(path=SCREENSHOTS / "fct_user_risk_features_daily_upstream.png", full_page=True)

    assets = graph["assets"]
    groups = {g["label"]: g for g in graph["groups"]}
    assert set(groups) == {k[0] for k in expected}, groups
    # Name each drawn box by its label and the group box it sits in.
    drawn: dict[int, tuple[str, ...]] = {}
    for i, box in enumerate(assets):
        matches = [k for k in expected if shows_name(box["label"], k[-1]) and inside(box, groups[k[0]])]
        assert len(matches) == 1, f"drawn box {box['label']!r} is {matches or 'no asset upstream of the mart'}"
        drawn[i] = matches[0]
    assert sorted(drawn.values()) == sorted(expected), "every upstream asset drawn once"
    drawn_links = {(drawn[a], drawn[b]) for a, targets in drawn_edges(assets, graph["edges"]).items() for b in targets}
    assert drawn_links == api_edges, (
        f"edges the API has but the page lacks: {api_edges - drawn_links}; drawn but unknown: {drawn_links - api_edges}"
    )

    path = [drawn[i] for i in asset_path(graph, RAW_ORDERS, RISK_MART)]
    assert path[0] == RAW_ORDERS and path[-1] == RISK_MART, path
    mart = assets[next(i for i, k in drawn.items() if k == RISK_MART)]
    assert [a for a in assets if a["selected"]] == [mart], "the page's own asset is the one selected"
    # The breadcrumb: the key prefix `marts`, then the full name of the asset.
    assert page.get_by_role("link", name="marts").first.is_visible()
    assert page.get_by_text(RISK_MART[1], exact=True).first.is_visible()
    assert page.get_by_role("dialog").count() == 0

    # Clicking the drawn `orders` node opens raw/orders, whose neighbours include its staging view.
    page.locator('[data-svg-viewport] svg [class*="assetName"]', has_text=re.compile(r"^\s*orders\s*$")).click()
    page.wait_for_url(re.compile(r"/assets/raw/orders\?.*view=lineage"))
    graph = wait_for_graph(
        page,
        lambda g: asset_path(g, RAW_ORDERS, STG_ORDERS) is not None,
        "the edge raw/orders -> staging/stg_marketplace__orders",
    )
    assert [a["label"] for a in graph["assets"] if a["selected"]] == ["orders"]

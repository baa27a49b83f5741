"""All naming policy for dbt nodes in Dagster, in one place.

* dbt sources are the raw assets: ``raw/<table>`` (one lineage graph from file to mart);
* models are ``<layer>/<model>``, the layer being their folder under ``models/``
  (``staging``, ``intermediate``, ``marts``), which is also their group;
* dbt seeds (reference tables such as SLA targets) are ``reference/<seed>``;
* marts carry a freshness policy: stale after 36 hours without an update.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

DEFAULT_OWNER = "team:data-engineering"
# Marts are stale when not updated for 36 hours (a missed night plus slack): the UI shows it.
MARTS_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=36))


def layer_of(props: Mapping[str, Any]) -> str:
    resource_type = props["resource_type"]
    if resource_type == "source":
        return "raw"
    if resource_type == "seed":
        return "reference"
    fqn = props.get("fqn", [])
    return fqn[1] if len(fqn) > 2 else "models"


class TrustqaTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if layer_of(self.get_resource_props(manifest, unique_id)) == "marts":
            return spec.replace_attributes(freshness_policy=MARTS_FRESHNESS)
        return spec

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey([layer_of(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        owner = dbt_resource_props.get("config", {}).get("meta", {}).get("owner") or dbt_resource_props.get(
            "meta", {}
        ).get("owner")
        return [owner or DEFAULT_OWNER]

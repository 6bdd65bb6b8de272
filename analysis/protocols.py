"""Which protocol each score was made under, and the refusal to mix them.

A trial's provenance.json says, for every metric, how it was computed
(gansweep.metrics.provenance: implementation, feature network and its weights hash, sample
counts, real split and its data hash, latent seed, versions). collect names each distinct
protocol by a digest (`protocol_id`), writes it beside every score (the evals.parquet column
`protocol:<metric>`) and the fields themselves into evals.parquet's schema metadata
(`protocols_of` reads them back).

Scores of one metric made under two protocols never share a column: collect refuses, naming
the trials and the fields that differ, unless asked to keep them apart (`--split-protocols`);
then each protocol gets its own column `<metric>@<id>`, so no table or curve of the report
puts them together. A trial without provenance (a run older than provenance.json) has no
protocol: it merges with the others and its `protocol:` cells are null.
"""

from __future__ import annotations

import json

import pyarrow as pa

from analysis.experiment import Eval, Experiment, Trial
from gansweep.metrics.provenance import IncomparableScores, differences, protocol_id

PREFIX = "protocol:"
METADATA_KEY = b"gansweep.protocols"


def column(metric: str) -> str:
    """The evals.parquet column naming the protocol of `metric`'s scores."""
    return PREFIX + metric


class Names:
    """The column each trial's scores go to; raises IncomparableScores on a mix unless
    `split`. `fields`: protocol id -> its provenance fields, for the metadata."""

    def __init__(self, exps: list[Experiment], split: bool):
        self.fields: dict[str, dict] = {}
        self._ids: dict[int, dict[str, str]] = {}
        seen: dict[str, dict[str, list[str]]] = {}  # metric -> protocol -> trials
        evaluated = {m for x in exps for t in x.trials for e in t.evals for m in e.metrics}
        for x in exps:
            for t in x.trials:
                ids = {}
                for m, prov in t.provenance.items():
                    if isinstance(prov, dict) and m in evaluated:
                        ids[m] = pid = protocol_id(prov)
                        self.fields[pid] = {k: v for k, v in prov.items() if k != "metric"}
                        seen.setdefault(m, {}).setdefault(pid, []).append(f"{x.name}/{t.trial_id}")
                self._ids[id(t)] = ids
        self.mixed = {m: by for m, by in seen.items() if len(by) > 1}
        if self.mixed and not split:
            raise IncomparableScores(self._problems(), "evaluations of one metric were made under "
                                     "different protocols; they are not merged")

    def _problems(self) -> list[str]:
        out = []
        for m, by in sorted(self.mixed.items()):
            (first, trials0), *rest = by.items()
            out.append(f"{m}: protocol {first} in {_trials(trials0)}")
            for pid, trials in rest:
                diffs = "; ".join(differences(self.fields[first], self.fields[pid]))
                out.append(f"{m}: protocol {pid} in {_trials(trials)} differs in {diffs}")
        return out + ["to keep them apart, as one column per protocol (<metric>@<protocol>), "
                      "use `gansweep collect --split-protocols`"]

    def column(self, t: Trial, metric: str | None) -> str | None:
        pid = self._ids.get(id(t), {}).get(metric)
        return f"{metric}@{pid}" if metric in self.mixed and pid else metric

    def relabelled(self, t: Trial) -> list[Eval]:
        """The trial's evaluations with each score under its column's name."""
        return [Eval(e.iteration, e.time_s, {self.column(t, m): v for m, v in e.metrics.items()}, e.epoch)
                for e in t.evals]

    def ids(self, t: Trial, scores: dict) -> dict[str, str]:
        """`protocol:<column>` -> protocol id for the scores of one evaluation row."""
        return {column(self.column(t, m)): pid for m, pid in self._ids.get(id(t), {}).items()
                if self.column(t, m) in scores}


def _trials(trials: list[str]) -> str:
    return ", ".join(trials[:3]) + (f" and {len(trials) - 3} more" if len(trials) > 3 else "")


def with_metadata(table: pa.Table, fields: dict[str, dict]) -> pa.Table:
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(fields, sort_keys=True, default=str).encode()
    return table.replace_schema_metadata(meta)


def protocols_of(table: pa.Table) -> dict[str, dict]:
    """Protocol id -> provenance fields, from a collected evals table (pq.read_table)."""
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    return json.loads(raw) if raw else {}

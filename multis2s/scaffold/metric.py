"""``new-plugin --kind metric``: token F1 (a percentage), its tests and a run that reports it."""

from multis2s.scaffold.template import Template, tiny_config

COMPONENT = '''\
"""The $package metric: the mean token F1 of each output against its best reference, in %."""

from collections import Counter


def token_f1(hypothesis: list[str], reference: list[str]) -> float:
    """F1 of the bags of tokens (1 when both are empty)."""
    common = sum((Counter(hypothesis) & Counter(reference)).values())
    if not common:
        return float(not hypothesis and not reference)
    precision, recall = common / len(hypothesis), common / len(reference)
    return 2 * precision * recall / (precision + recall)


class $cls:
    """Token F1 of each output against the best of its references (white-space tokens), averaged, in %."""

    higher_is_better = True

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        if len(hypotheses) != len(references):
            raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} reference lists")
        best = (max(token_f1(h.split(), r.split()) for r in refs) for h, refs in zip(hypotheses, references))
        return 100.0 * sum(best) / max(1, len(hypotheses))
'''

TEST = '''\
"""The $package metric, tested as a plugin: registered, scores as promised, reported by a run."""

import json

import pytest
import yaml

from multis2s.cli import main
from multis2s.plugins import load_registry
from $package.metric import $cls

''' + tiny_config(metrics='["$package", "exact_match"]') + '''

def test_register_metrics_registers_it():
    component = load_registry(["$package"]).get("metrics", "$package")
    assert component.plugin == "$package" and component.factory().higher_is_better


def test_scores():
    metric = $cls()
    assert metric.score(["a b c"], [["a b c"]]) == 100.0
    assert metric.score(["x y"], [["a b"]]) == 0.0
    assert metric.score(["a b", "a"], [["a c", "x y"], ["a"]]) == pytest.approx(75.0)  # best reference, mean
    with pytest.raises(ValueError):
        metric.score(["a"], [])


def test_a_run_reports_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MULTIS2S_CACHE", str(tmp_path / "cache"))  # the generated corpus stays in tmp_path
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["run", str(config), "-o", str(tmp_path / "run"), "--show", "0"]) == 0
    score = json.loads((tmp_path / "run" / "results.json").read_text())["metrics"]["$package"]
    assert 0.0 <= score <= 100.0
'''

USAGE = '''\
Name it in a config's `eval.metrics` (no `plugins:` line once installed):

```yaml
eval:
  metrics: [$package, bleu]
```
'''

TEMPLATE = Template(hook="register_metrics", module="metric", suffix="Metric", modality="any",
                    help="mean token F1 against the best reference, %", component=COMPONENT, test=TEST, usage=USAGE)

"""docs/scenario.md is generated from the scenario models (it cannot drift from the schema)."""

from __future__ import annotations

from pathlib import Path

from orbitcloud.scenario.models import Scenario
from orbitcloud.scenario.reference import reachable_models, scenario_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_scenario_reference_is_generated_from_the_models() -> None:
    """The committed file is what `python -m orbitcloud.scenario.reference` prints."""
    assert (DOCS / "scenario.md").read_text(encoding="utf-8") == scenario_markdown()


def test_every_model_and_field_is_documented() -> None:
    text = scenario_markdown()
    models = reachable_models()
    assert models[0] is Scenario and len(models) == len(set(models)) > 30
    for m in models:
        assert f"\n## {m.__name__}\n" in text
        section = text.split(f"\n## {m.__name__}\n", 1)[1].split("\n## ", 1)[0]
        for name in m.model_fields:
            assert f"| `{name}` |" in section, (m.__name__, name)
    assert "**required**" in text and "object at 0x" not in text and "typing." not in text

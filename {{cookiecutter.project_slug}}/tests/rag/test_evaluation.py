from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.rag._evaluation import Target, evaluate, load_questions, score
from {{ cookiecutter.package_name }}.rag._retrieval import Hit, Retriever

EVAL_SET = Path(__file__).resolve().parents[2] / "data" / "rag_eval.jsonl"


def _hit(source: str, section: str) -> Hit:
    return Hit(
        chunk_id=f"{source}{section}",
        doc_id=source,
        text="",
        source=source,
        title=source,
        section=section,
        score=1.0,
    )


def test_metrics_of_one_ranking() -> None:
    hits = [_hit("a.md", "A > Intro"), _hit("b.md", "B > Fees"), _hit("b.md", "B > Fees")]
    targets = [Target(source="b.md", section="fees"), Target(source="c.md")]

    recall, reciprocal_rank, ndcg = score(hits, targets, k=3)

    assert recall == 0.5
    assert reciprocal_rank == 0.5
    assert ndcg == pytest.approx((1 / 1.5849625) / (1 + 1 / 1.5849625))
    assert score(hits, targets, k=1) == (0.0, 0.0, 0.0)


def test_shipped_eval_set_is_valid_and_hybrid_beats_the_naive_baseline(
    shipped_retriever: Retriever,
) -> None:
    questions = load_questions(EVAL_SET)

    hybrid = evaluate(questions, shipped_retriever.search, k=3)
    naive = evaluate(questions, shipped_retriever.naive_search, k=3)

    assert hybrid.questions == naive.questions == len(questions) >= 40
    assert hybrid.recall >= 0.9
    assert hybrid.mrr >= naive.mrr
    assert hybrid.ndcg >= naive.ndcg


def test_bad_eval_inputs_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_questions(tmp_path / "none.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        evaluate(load_questions(tmp_path / "empty.jsonl"), lambda q, k: [], 3)
    line = json.dumps({"question": "q", "relevant": [{"source": "a.md"}]})
    (tmp_path / "one.jsonl").write_text(line, encoding="utf-8")
    assert load_questions(tmp_path / "one.jsonl")[0].relevant[0].section is None

"""RAG x LLM: grounded answers and query rewriting by the LLM pillar's client.

Fills ``rag.GROUNDER`` with the LLM pillar's citation contract (:func:`llm.grounded_answer`:
answers only from the numbered passages, citations checked, abstains when they do not answer)
and ``rag.COMPLETER`` with a factory of :class:`llm.LLMClient` completions (used to rewrite
queries when ``rag.rewrite_query`` is on).
"""

from __future__ import annotations

from .. import llm, rag


@rag.GROUNDER.provide
def ground_with_llm(question: str, context: rag.Context) -> rag.GroundedDraft:
    """Answer from the context's passages, citing them by number (n: ``context.hits[n - 1]``)."""
    passages = [
        llm.Passage(id=str(number), text=hit.text, source=hit.citation)
        for number, hit in enumerate(context.hits, start=1)
    ]
    result = llm.grounded_answer(question, passages)
    refs = [int(ref) for ref in result.citations if str(ref).strip().isdigit()]
    return rag.GroundedDraft(
        answer=result.answer, refs=refs, abstained=bool(result.abstained), reason=result.reason
    )


@rag.COMPLETER.provide
def llm_completer() -> rag.TextCompleter:
    """A completer over the LLM pillar's configured client (model, fallbacks, budgets)."""
    client = llm.LLMClient()

    def complete(prompt: str, instructions: str) -> str:
        return str(client.complete(prompt, instructions=instructions).output)

    return complete

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
    """Answer from the context's passages, citing them by number (n: ``context.hits[n - 1]``).

    Raises:
        rag.GroundingError: the model failed (its message says how, without the provider's text).
    """
    passages = [
        llm.Passage(id=str(number), text=hit.text, source=hit.citation)
        for number, hit in enumerate(context.hits, start=1)
    ]
    try:
        result = llm.grounded_answer(question, passages)
    except (llm.MissingProviderKeyError, llm.ProviderNotInstalledError) as error:
        raise rag.GroundingError(str(error), unconfigured=True) from error  # what to set
    except Exception as error:  # said safely: the provider's words stay in the cause (and log)
        failure = llm.explain_model_error(error)
        if failure is None:
            message = f"the model's answer could not be used ({type(error).__name__})"
            raise rag.GroundingError(message) from error
        raise rag.GroundingError(failure.message, retryable=failure.retryable) from error
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

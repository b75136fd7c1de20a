.PHONY: rag-index rag-search rag-ask rag-eval

rag-index:  ## Index the corpus, web pages and APIs (LanceDB or pgvector; only changes re-embedded)
	$(CLI) rag index

rag-search:  ## Hybrid search of the index: make rag-search QUERY="..."
	@test -n "$(QUERY)" || { echo 'usage: make rag-search QUERY="on-call response time"'; exit 2; }
	$(CLI) rag search "$(QUERY)"

rag-ask:  ## Answer from the index with citations: make rag-ask QUESTION="..."
	@test -n "$(QUESTION)" || { echo 'usage: make rag-ask QUESTION="how fast must on-call respond?"'; exit 2; }
	$(CLI) rag ask "$(QUESTION)"

rag-eval:  ## Retrieval quality (recall@k, MRR, nDCG) of hybrid search vs. a naive dense baseline
	$(CLI) rag eval

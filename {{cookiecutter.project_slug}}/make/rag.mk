.PHONY: rag-index rag-search

rag-index:  ## Chunk, embed and index the document corpus (LanceDB; no-op when unchanged)
	$(CLI) rag index

rag-search:  ## Hybrid search of the index: make rag-search QUERY="..."
	@test -n "$(QUERY)" || { echo 'usage: make rag-search QUERY="on-call response time"'; exit 2; }
	$(CLI) rag search "$(QUERY)"

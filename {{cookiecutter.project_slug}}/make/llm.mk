llm-ask:  ## Ask the configured model: make llm-ask PROMPT="..."
	$(CLI) llm ask "$(PROMPT)"

llm-fake-server:  ## Serve the deterministic OpenAI-protocol endpoint on 127.0.0.1:8000
	$(CLI) llm fake-server --port 8000

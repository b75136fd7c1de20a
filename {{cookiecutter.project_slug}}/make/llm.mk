llm-ask:  ## Ask the configured model: make llm-ask PROMPT="..."
	$(CLI) llm ask "$(PROMPT)"

llm-fake-server:  ## Serve the deterministic OpenAI-protocol endpoint on 127.0.0.1:8000
	$(CLI) llm fake-server --port 8000

llm-live-demo:  ## Structured output, a tool call and the evals against the configured model
	$(CLI) llm live-demo

eval:  ## Run the evals (evals/) against the configured live model; report in artifacts/evals
	$(CLI) llm eval --live

eval-replay:  ## Run the evals offline on the recorded answers (what CI gates on)
	$(CLI) llm eval --replay

eval-record:  ## Run the evals live and save the answers to evals/replay.yaml
	$(CLI) llm eval --live --record

finetune:  ## LoRA fine-tuning (needs the finetune extra): make finetune DATA=train.jsonl
	$(UV) run --extra finetune {{ cookiecutter.project_slug }} llm finetune $(DATA)

agent-run:  ## Run the agent: make agent-run TASK="..." (SCRIPTED=1 for the offline planner)
	$(CLI) agents run $(if $(SCRIPTED),--scripted) "$(TASK)"

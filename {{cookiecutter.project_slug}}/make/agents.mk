agent-run:  ## Run the agents workflow: make agent-run TASK="..." (SCRIPTED=1 for offline roles)
	$(CLI) agents run $(if $(SCRIPTED),--scripted) "$(TASK)"

agent-resume:  ## Continue a stopped run from its last completed step: make agent-resume RUN=<id>
	$(CLI) agents resume $(if $(SCRIPTED),--scripted) "$(RUN)"

agent-show:  ## Show a run (JSON=1 for the full transcript): make agent-show RUN=<id>
	$(CLI) agents show $(if $(JSON),--json) "$(RUN)"

.PHONY: serve

serve:  ## Serve the API with BentoML on SERVING__HOST:SERVING__PORT (see docs/pillars/serving.md)
	$(CLI) serving serve

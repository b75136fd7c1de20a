.PHONY: ml-train

ml-train:  ## Train the classical ML model (Prefect flow) on the configured CSV
	$(CLI) ml train

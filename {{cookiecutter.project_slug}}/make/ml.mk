.PHONY: ml-train train ml-predict ml-schema ml-models ml-deploy prefect-up

ml-train:  ## Train, evaluate and register the classical ML model (Prefect flow) on the configured data
	$(CLI) ml train

train: ml-train  ## Alias of ml-train

ml-predict:  ## Score FILE with the production model: make ml-predict FILE=new.csv
	$(CLI) ml predict $(FILE)

ml-schema:  ## Show the frozen data schema (contract) of the training data
	$(CLI) ml schema

ml-models:  ## List registered model versions (production marked)
	$(CLI) ml models

ml-deploy:  ## Serve the scheduled retraining and batch-scoring Prefect deployments (blocks)
	$(CLI) ml deploy

prefect-up:  ## Run a local Prefect server for `ml train` to reuse (blocks; then export PREFECT_API_URL=http://127.0.0.1:4200/api)
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(UV) run prefect server start --host 127.0.0.1 --port 4200

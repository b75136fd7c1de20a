.PHONY: serve docker-build compose-up k8s-manifests

serve:  ## Serve the API with BentoML on SERVING__HOST:SERVING__PORT (see docs/pillars/serving.md)
	$(CLI) serving serve

docker-build:  ## Build the service image (multi-stage, non-root) as {{ cookiecutter.project_slug }}:latest
	docker build -t {{ cookiecutter.project_slug }}:latest .

compose-up:  ## Start the service with Redis, Prometheus, Grafana and an OpenTelemetry collector
	docker compose up --build

k8s-manifests:  ## Print the Kubernetes manifests (kustomize base in deploy/k8s)
	kubectl kustomize deploy/k8s

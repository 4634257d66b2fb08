"""What happens after a request, over time: message and call lifecycles and the webhooks they deliver."""

"""The relevé d'information intégral (full information statement): content, seal, PDF, routes."""

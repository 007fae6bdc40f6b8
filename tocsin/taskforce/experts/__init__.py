"""The roster of experts, their assignments and search by need."""

"""xai_demo: teach medical trainees to read AI explanations critically."""

"""Stages receive, stage, dbt_build and publish: from rows to the published file."""

"""amlmove: plan, approve and apply the move of an Azure Machine Learning workspace to another subscription."""

__version__ = "0.1.0"

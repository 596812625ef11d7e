from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live"

    def ready(self) -> None:
        # Imported once the models are: the task registers itself with the worker here.
        from live.posting import tasks  # noqa: F401
        from live.posting.receivers import on_question_aired
        from questions.models import Question
        from questions.signals import question_aired

        question_aired.connect(on_question_aired, sender=Question, dispatch_uid="live.post_back")

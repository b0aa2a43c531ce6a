from django.conf import settings


def portal(request):
    return {"portal_company_name": settings.B2B_COMPANY_NAME}

"""Drives `gridwork serve`'s Open311 endpoint with georeport, a third-party GeoReport v2
client from PyPI, unchanged. Filing goes through plain `requests` (georeport has no POST):
a form-encoded body, as every Open311 client sends it.

Usage: open311_client.py BASE_URL API_KEY. Prints one line per check and
"N passed, 0 failed"; exits non-zero at the first failure.
"""

import sys

import requests
from georeport import GeoReport

base, key = sys.argv[1], sys.argv[2]
passed = 0


def check(name, cond, detail=""):
    global passed
    if not cond:
        print(f"FAILED {name}: {detail}")
        print(f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok {name}")


json_client = GeoReport(base, api_key=key)
xml_client = GeoReport(base, api_key=key, output_format="xml")

services = json_client.get_service_list()
check("services.json lists the catalogue", len(services) > 50, len(services))
codes = {s["service_code"] for s in services}
check("the bin service is there", "06010" in codes, sorted(codes)[:5])
xml_services = xml_client.get_service_list()
check("services.xml lists as many", len(xml_services) == len(services), len(xml_services))
check("xml services carry codes", {s["service_code"] for s in xml_services} == codes)
definition = json_client.get_service_definition("06010")
check("a service definition", definition["service_code"] == "06010", definition)

filed = requests.post(
    f"{base}/requests.json",
    data={
        "api_key": key,
        "service_code": "06010",
        "lat": "31.306",
        "long": "120.5808",
        "description": "Overflowing bin by the school gate",
        "email": "resident@example.org",
    },
)
check("POST requests.json files a case", filed.status_code == 200, filed.text)
answer = filed.json()[0]
request_id, token = answer["service_request_id"], answer["token"]

one = json_client.get_service_request(request_id)
check("requests/{id}.json reads it back", one["service_request_id"] == request_id, one)
check("it is open with notes", one["status"] == "open" and one["status_notes"], one)
check("no contact details are published", "email" not in one, one)
listed = json_client.get_service_requests(service_code="06010", status="open")
check("requests.json filters by code and status", [r["service_request_id"] for r in listed] == [request_id], listed)
closed = json_client.get_service_requests(status="closed")
check("none is closed", closed == [], closed)
dated = json_client.get_service_requests(start_date="2020-01-01T00:00:00Z", end_date="2020-03-01T00:00:00Z")
check("a date range before it finds nothing", dated == [], dated)
by_id = json_client.get_service_requests(service_request_id=request_id)
check("service_request_id overrides the rest", len(by_id) == 1, by_id)
xml_one = xml_client.get_service_request(request_id)
check("requests/{id}.xml reads it back", xml_one["service_request_id"] == request_id, xml_one)
xml_list = xml_client.get_service_requests(service_code="06010")
check("requests.xml lists it", xml_list["service_request_id"] == request_id, xml_list)

token_answer = requests.get(f"{base}/tokens/{token}.json")
check("tokens/{token}.json names the request", token_answer.json()[0]["service_request_id"] == request_id, token_answer.text)

refused = requests.post(f"{base}/requests.json", data={"service_code": "06010", "lat": "31.306", "long": "120.5808", "description": "x"})
check("no api_key: 403", refused.status_code == 403, refused.text)
error = refused.json()[0]
check("errors are [{code, description}]", error["code"] == 403 and error["description"], error)
try:
    json_client.get_service_definition("99999")
    check("an unknown service raises", False, "no error")
except requests.HTTPError as e:
    check("an unknown service is 404", e.response.status_code == 404, e.response.text)

print(f"{passed} passed, 0 failed")

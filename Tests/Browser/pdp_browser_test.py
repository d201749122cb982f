"""Browser test of the data protection officer's pages (Scripts/test.d/pdp-browser runs this).

Reuses the staff web suite's server, CLI and browser helpers (web_browser_test.Suite), adds a DPO
user and a document about a person (beside a look-alike number that is nobody's), and walks the DPO
through an access request, an erasure and a breach incident with its written notices; staff are refused.
"""
import argparse
import os
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_browser_test import PASSWORD, Suite  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

NIK = "6472011508900001"
LOOKALIKE = "64720115089000011"


class PDPSuite(Suite):
    def seed(self):
        self.cli("users", "create", "ppid", "--department", "diskominfo", "--role", "dpo", "--password-stdin", stdin=PASSWORD + "\n")
        folder = tempfile.mkdtemp(prefix="pdp-docs-", dir=self.tmp)
        with open(os.path.join(folder, "ba-rahmawati.md"), "w") as f:
            f.write(f"# Berita acara penyerahan\n\nPemohon Rahmawati Sulastri, NIK {NIK}, telah menerima KTP-el di loket.\n")
        with open(os.path.join(folder, "register-gudang.md"), "w") as f:
            f.write(f"# Register gudang\n\nBerkas nomor {LOOKALIKE} dipindahkan ke gudang arsip.\n")
        self.cli("docs", "ingest", folder, "--collection", "arsip-pdp", "--classification", "biasa", "--department", "disdukcapil")

    def search(self, words):
        status, _, data = self.api("GET", "/v1/search?q=" + urllib.parse.quote(words))
        assert status == 200, (status, data)
        return " ".join(h.get("text", "") + h.get("snippet", "") for h in data.get("results", data.get("data", [])))

    def test_dpo_lands_on_the_pdp_page_and_staff_are_refused(self):
        d = self.driver
        self.sign_in("ppid")
        assert d.current_url.endswith("/pdp"), d.current_url
        assert d.find_elements(By.CSS_SELECTOR, 'nav a[href="/pdp"]'), "the DPO's navigation links the page"
        assert not d.find_elements(By.CSS_SELECTOR, 'nav a[href="/chat"]'), "a DPO does not chat"
        assert "disdukcapil" in self.text("#pdp-collections"), "the record of processing lists the collection"
        for control in d.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select, textarea"):
            cid = control.get_attribute("id")
            assert cid and d.find_elements(By.CSS_SELECTOR, f'label[for="{cid}"]'), f"control {cid} has no label"
        self.shot("pdp")
        d.get(self.base + "/chat")
        assert d.find_elements(By.ID, "refused-message"), "the chat page refuses a DPO"
        self.sign_in("siti")
        d.get(self.base + "/pdp")
        assert d.find_elements(By.ID, "refused-message"), "staff may not open the DPO page"
        assert "Rahmawati" not in d.page_source

    def open_request(self, kind, subject):
        d = self.driver
        d.get(self.base + "/pdp")
        d.find_element(By.ID, "pdp-subject").send_keys(subject)
        Select(d.find_element(By.ID, "pdp-kind")).select_by_value(kind)
        d.find_element(By.ID, "pdp-request-submit").click()
        self.wait(EC.presence_of_element_located((By.ID, "pdp-report")))

    def test_dpo_walks_through_an_access_request_and_an_erasure(self):
        d = self.driver
        assert NIK in self.search("Rahmawati Sulastri"), "the document is searchable before"
        self.sign_in("ppid")
        # A subject with nothing to look for is refused on the form, with the reason.
        d.get(self.base + "/pdp")
        d.find_element(By.ID, "pdp-subject").send_keys("ab")
        d.find_element(By.ID, "pdp-request-submit").click()
        assert "names no identifier" in self.text("#pdp-request-error")

        self.open_request("access", f"NIK {NIK}")
        assert self.text("#pdp-report-kind") == "access"
        kinds = [r.find_element(By.CSS_SELECTOR, "td").text for r in d.find_elements(By.CSS_SELECTOR, "#pdp-items tr.pdp-item")]
        assert kinds.count("document_chunk") == 1, f"her chunk only, not the look-alike register: {kinds}"
        # The trail's events of filing her document mention her NIK too, and are found through its lookup token.
        assert set(kinds) <= {"document_chunk", "audit_event"}, kinds
        assert LOOKALIKE not in self.text("#pdp-items")
        assert any(NIK in e.text for e in d.find_elements(By.CSS_SELECTOR, ".pdp-content")), "the subject's copy holds the content"
        assert self.text("#pdp-report-due"), "the 3 x 24 h due time is shown"
        self.shot("pdp-access")

        self.open_request("erase", f"NIK {NIK}")
        assert any("erased" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".pdp-action")), "her chunk is erased"
        self.shot("pdp-erase")
        assert NIK not in self.search("Rahmawati Sulastri"), "erased: search no longer finds her"
        assert LOOKALIKE in self.search("register gudang"), "the look-alike document stays"

        d.get(self.base + "/pdp")
        rows = self.text("#pdp-requests")
        assert "erase" in rows and "access" in rows, rows
        assert NIK not in d.page_source, "the request list shows the subject masked"
        d.find_element(By.CSS_SELECTOR, "#pdp-requests a").click()
        self.wait(EC.presence_of_element_located((By.ID, "pdp-report")))
        assert not d.find_elements(By.CSS_SELECTOR, ".pdp-content"), "a stored request shows no content"

    def test_dpo_walks_through_an_incident_and_its_notices(self):
        d = self.driver
        self.sign_in("ppid")
        d.get(self.base + "/pdp")
        d.find_element(By.ID, "pdp-description").send_keys("Daftar penerima bantuan terkirim ke alamat e-mail yang salah.")
        d.find_element(By.ID, "pdp-measures").send_keys("Pengiriman dihentikan; penerima diminta menghapus berkas.")
        d.find_element(By.ID, "pdp-incident-submit").click()
        self.wait(EC.presence_of_element_located((By.ID, "pdp-incident")))
        assert "/pdp/incidents/" in d.current_url, d.current_url
        assert self.text("#pdp-incident-status") == "open"
        assert self.text("#pdp-incident-due")
        assert not d.find_elements(By.CSS_SELECTOR, ".pdp-notice"), "viewing the incident produces no notice"
        d.find_element(By.ID, "pdp-incident-notice").click()
        self.wait(EC.presence_of_element_located((By.ID, "pdp-notice-lembaga")))
        for recipient in ["subjek_data", "lembaga"]:
            notice = self.text(f"#pdp-notice-{recipient}")
            for field in ["Pasal 46", "Data Pribadi yang terungkap", "Kapan Data Pribadi terungkap", "Bagaimana Data Pribadi terungkap",
                          "Upaya penanganan dan pemulihan", "Pengiriman dihentikan", "Jumlah Subjek Data Pribadi",
                          "Batas waktu pemberitahuan", "Kontak Pejabat Pelindungan Data Pribadi"]:
                assert field in notice, f"{recipient} notice lacks {field}"
        self.shot("pdp-incident")
        d.find_element(By.ID, "pdp-incident-close").click()
        self.wait(lambda d: d.find_elements(By.ID, "pdp-incident-status") and d.find_element(By.ID, "pdp-incident-status").text == "closed")
        d.get(self.base + "/pdp")
        assert "closed" in self.text("#pdp-incidents")

    def run(self):
        tests = [
            self.test_dpo_lands_on_the_pdp_page_and_staff_are_refused,
            self.test_dpo_walks_through_an_access_request_and_an_erasure,
            self.test_dpo_walks_through_an_incident_and_its_notices,
        ]
        return self.run_tests(tests, setup=lambda: (self.start_server(), self.seed(), self.start_browser()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    sys.exit(PDPSuite(args).run())

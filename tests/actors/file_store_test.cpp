// The node's files (actors/files/): firmware images, station uploads and their quota, the URL
// tokens, and the multipart bodies stations upload with.

#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "actors/files/file_service.hpp"
#include "actors/files/file_store.hpp"

using namespace evbroker::actors;
namespace fs = std::filesystem;

namespace {

struct Folder {
  Folder() {
    fs::create_directories(EVBROKER_TEST_TMP);
    std::string pattern = std::string(EVBROKER_TEST_TMP) + "/files-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    path = ::mkdtemp(buf.data());
  }
  ~Folder() { fs::remove_all(path); }
  std::string path;
};

std::unique_ptr<FileStore> open_store(const std::string& path, FileLimits limits = {}) {
  std::string error;
  auto store = FileStore::open(path, limits, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

}  // namespace

TEST_CASE("a firmware image is stored whole with its SHA-256 and listed") {
  Folder folder;
  auto store = open_store(folder.path);
  StoredFile stored;
  REQUIRE_FALSE(store->put_firmware("fw-1.0.bin", "abc", stored));
  CHECK(stored.size == 3);
  CHECK(stored.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto listed = store->firmware();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].name == "fw-1.0.bin");
  CHECK(listed[0].sha256 == stored.sha256);
  CHECK_FALSE(fs::exists(folder.path + "/firmware/fw-1.0.bin.part"));
  CHECK(store->remove_firmware("fw-1.0.bin"));
  CHECK_FALSE(store->firmware_file("fw-1.0.bin"));
  CHECK_FALSE(store->remove_firmware("fw-1.0.bin"));
}

TEST_CASE("names that could leave the folder or hide are refused") {
  Folder folder;
  auto store = open_store(folder.path);
  StoredFile stored;
  for (const char* name : {"", ".hidden", "../x", "a/b", "a b", "x.part", "é.bin"}) {
    CAPTURE(name);
    CHECK(store->put_firmware(name, "x", stored));
    CHECK(store->firmware_path(name).empty());
  }
  CHECK(store->put_firmware(std::string(129, 'a'), "x", stored));
  CHECK(clean_file_name("C:\\logs\\a b.tar.gz") == "a_b.tar.gz");
  CHECK(clean_file_name("../../etc/passwd") == "passwd");
  CHECK(clean_file_name("...") == "upload.bin");
  CHECK(clean_file_name("") == "upload.bin");
}

TEST_CASE("an image over the limit is refused and leaves nothing behind") {
  Folder folder;
  FileLimits limits;
  limits.max_firmware_bytes = 4;
  auto store = open_store(folder.path, limits);
  StoredFile stored;
  auto problem = store->put_firmware("big.bin", "12345", stored);
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("more than 4"));
  CHECK(store->firmware().empty());
}

TEST_CASE("tokens are per image and per station, and survive a reopen") {
  Folder folder;
  auto store = open_store(folder.path);
  const auto token = store->firmware_token("a.bin");
  CHECK(token.size() == 32);
  CHECK(token != store->firmware_token("b.bin"));
  CHECK(store->upload_token("CS1") != store->upload_token("CS2"));
  CHECK(store->valid_token(token, token));
  CHECK_FALSE(store->valid_token(token, token.substr(1)));
  auto reopened = open_store(folder.path);
  CHECK(reopened->firmware_token("a.bin") == token);
  Folder other;
  CHECK(open_store(other.path)->firmware_token("a.bin") != token);  // another node, another secret
  store->set_public_url("http://10.0.0.5:9412/");
  CHECK(store->firmware_url("a.bin") == "http://10.0.0.5:9412/firmware/" + token + "/a.bin");
  CHECK(store->upload_url("CS 1/x") ==
        "http://10.0.0.5:9412/uploads/CS%201%2Fx/" + store->upload_token("CS 1/x") + "/");
}

TEST_CASE("a station's uploads are kept oldest first and the oldest go beyond its quota") {
  Folder folder;
  FileLimits limits;
  limits.max_upload_bytes = 10;
  limits.station_uploads_max_bytes = 20;
  auto store = open_store(folder.path, limits);
  StoredFile stored;
  CHECK(store->put_upload("CS1", "too-big.log", std::string(11, 'x'), stored));
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    REQUIRE_FALSE(store->put_upload("CS1", "diag.log", std::string(8, static_cast<char>('a' + i)), stored));
    names.push_back(stored.name);
  }
  auto kept = store->uploads("CS1");
  REQUIRE(kept.size() == 2);  // 24 bytes would be over 20: the oldest went
  CHECK(kept[0].name == names[1]);
  CHECK(kept[1].name == names[2]);
  CHECK(store->uploads("CS2").empty());  // another station's folder
  CHECK(store->upload_file("CS1", names[2]));
  CHECK_FALSE(store->upload_file("CS2", names[2]));
  CHECK(store->remove_upload("CS1", names[2]));
  CHECK(store->uploads("CS1").size() == 1);
}

TEST_CASE("the file of a multipart body is found with its name") {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"diag.tar.gz\"\r\n"
      "Content-Type: application/gzip\r\n\r\nBIN\r\nARY--XyZ\r\n--XyZ--\r\n";
  auto file = first_multipart_file("multipart/form-data; boundary=XyZ", body);
  REQUIRE(file);
  CHECK(file->filename == "diag.tar.gz");
  CHECK(file->content == "BIN\r\nARY--XyZ");
  auto quoted = first_multipart_file("multipart/form-data; boundary=\"XyZ\"", body);
  REQUIRE(quoted);
  CHECK(quoted->filename == "diag.tar.gz");
  // Without a filename anywhere: the first part.
  auto plain = first_multipart_file("multipart/form-data; boundary=XyZ",
                                    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nonly\r\n--XyZ--\r\n");
  REQUIRE(plain);
  CHECK(plain->filename.empty());
  CHECK(plain->content == "only");
}

TEST_CASE("a malformed multipart body is refused, never read past its end") {
  CHECK_FALSE(first_multipart_file("multipart/form-data", "--x\r\n\r\nabc"));
  CHECK_FALSE(first_multipart_file("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data"));
  CHECK_FALSE(first_multipart_file("multipart/form-data; boundary=x", "--x\r\n\r\nno end"));
  CHECK_FALSE(first_multipart_file("multipart/form-data; boundary=x", ""));
  CHECK_FALSE(first_multipart_file("multipart/form-data; boundary=x", "--x--\r\n"));
}

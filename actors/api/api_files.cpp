// The files the node keeps (actors/files/file_store.hpp) through the API: firmware images uploaded
// to serve to stations (PUT/GET/DELETE /api/v0/firmware/{name}) and what stations uploaded
// (GET/DELETE /api/v0/cs/{csId}/uploads/{name}). 503 when the node runs without a files listener.

#include "actors/api/api_maeve.hpp"
#include "actors/api/api_support.hpp"
#include "actors/files/file_store.hpp"
#include "actors/records/records.hpp"

namespace evbroker::actors::api {
namespace {

using maeve::Object;

bool have_files(Request& r) {
  if (r.ctx->files) return true;
  r.respond(error_response(503, "this node serves no files: it runs without --files-addr"));
  return false;
}

std::string firmware_json(const FileStore& files, const StoredFile& file) {
  return Object()
      .str("name", file.name)
      .num("size", static_cast<std::int64_t>(file.size))
      .str("sha256", file.sha256)
      .str("modified", file.modified)
      .str("url", files.firmware_url(file.name))
      .text();
}

std::string upload_json(const StoredFile& file) {
  return Object()
      .str("name", file.name)
      .num("size", static_cast<std::int64_t>(file.size))
      .str("modified", file.modified)
      .text();
}

bool station_known(Request& r, const std::string& id) {
  if (r.ctx->store->read().get(storage::Table::stations, id)) return true;
  r.respond(error_response(404, "unknown charge station " + id));
  return false;
}

transport::HttpResponse file_response(std::string path, std::string_view name) {
  transport::HttpResponse response;
  response.content_type = "application/octet-stream";
  response.file_path = std::move(path);
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + std::string(name) + "\"");
  return response;
}

}  // namespace

void put_firmware(Request& r) {
  if (!have_files(r)) return;
  const auto& name = r.segments.at(1);
  const bool replaced = r.ctx->files->firmware_file(name).has_value();
  StoredFile stored;
  if (auto problem = r.ctx->files->put_firmware(name, r.http.body, stored)) {
    const int status = !FileStore::valid_name(name) ? 400 : problem->find("more than") != std::string::npos ? 413 : 500;
    return r.respond(error_response(status, *problem));
  }
  r.respond(json_response(replaced ? 200 : 201, firmware_json(*r.ctx->files, stored)));
}

void list_firmware(Request& r) {
  if (!have_files(r)) return;
  std::vector<std::string> items;
  for (const auto& file : r.ctx->files->firmware()) items.push_back(firmware_json(*r.ctx->files, file));
  r.respond(json_response(200, maeve::array(items)));
}

void get_firmware(Request& r) {
  if (!have_files(r)) return;
  const auto& name = r.segments.at(1);
  auto file = r.ctx->files->firmware_file(name);
  if (!file) return r.respond(error_response(404, "no firmware image " + name));
  r.respond(json_response(200, firmware_json(*r.ctx->files, *file)));
}

void delete_firmware(Request& r) {
  if (!have_files(r)) return;
  const auto& name = r.segments.at(1);
  if (!r.ctx->files->remove_firmware(name)) return r.respond(error_response(404, "no firmware image " + name));
  r.respond(empty_response(204));
}

void list_station_uploads(Request& r) {
  if (!have_files(r)) return;
  const auto& id = r.segments.at(1);
  if (!station_known(r, id)) return;
  std::vector<std::string> items;
  for (const auto& file : r.ctx->files->uploads(id)) items.push_back(upload_json(file));
  r.respond(json_response(200, maeve::array(items)));
}

void get_station_upload(Request& r) {
  if (!have_files(r)) return;
  const auto& id = r.segments.at(1);
  const auto& name = r.segments.at(3);
  if (!station_known(r, id)) return;
  if (!r.ctx->files->upload_file(id, name)) return r.respond(error_response(404, "no upload " + name + " of " + id));
  r.respond(file_response(r.ctx->files->upload_path(id, name), name));
}

void delete_station_upload(Request& r) {
  if (!have_files(r)) return;
  const auto& id = r.segments.at(1);
  const auto& name = r.segments.at(3);
  if (!station_known(r, id)) return;
  if (!r.ctx->files->remove_upload(id, name)) return r.respond(error_response(404, "no upload " + name + " of " + id));
  r.respond(empty_response(204));
}

}  // namespace evbroker::actors::api

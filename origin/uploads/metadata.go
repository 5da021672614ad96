package uploads

import (
	"strings"
	"unicode"

	"github.com/tus/tusd/v2/pkg/handler"
)

// Limits on Upload-Metadata values.
const (
	maxPublicID = 512
	maxTags     = 64
	maxTagLen   = 64
)

func metadataError(msg string) error {
	return handler.NewError("ERR_INVALID_METADATA", msg, 400)
}

// checkMetadata refuses an upload whose Upload-Metadata lacks a sound
// public_id or has bad tags, before anything is stored; it keeps only the
// keys pixcdn knows.
func checkMetadata(hook handler.HookEvent) (handler.HTTPResponse, handler.FileInfoChanges, error) {
	meta := hook.Upload.MetaData
	if err := checkPublicID(meta["public_id"]); err != nil {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, err
	}
	tags := splitTags(meta["tags"])
	if len(tags) > maxTags {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, metadataError("too many tags")
	}
	for _, t := range tags {
		if len(t) > maxTagLen || strings.ContainsFunc(t, unicode.IsControl) {
			return handler.HTTPResponse{}, handler.FileInfoChanges{}, metadataError("bad tag " + t)
		}
	}
	kept := handler.MetaData{"public_id": meta["public_id"], "tags": strings.Join(tags, ",")}
	if ft := meta["filetype"]; ft != "" {
		kept["filetype"] = ft
	}
	return handler.HTTPResponse{}, handler.FileInfoChanges{MetaData: kept}, nil
}

// checkPublicID accepts what an image path may be: non-empty, relative,
// no empty or dot segments, no control characters.
func checkPublicID(id string) error {
	switch {
	case id == "":
		return metadataError("Upload-Metadata needs public_id")
	case len(id) > maxPublicID:
		return metadataError("public_id is too long")
	case strings.ContainsFunc(id, unicode.IsControl) || strings.Contains(id, "\\"):
		return metadataError("public_id has control characters or backslashes")
	}
	for _, seg := range strings.Split(id, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return metadataError("public_id has an empty, . or .. segment")
		}
	}
	return nil
}

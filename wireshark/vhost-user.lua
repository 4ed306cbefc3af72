-- vhost-user.lua - a Wireshark dissector for the captures of vhuctl monitor --pcap.
--
-- Each packet (link type LINKTYPE_USER0) is a 16-byte pseudo-header written
-- by vhuctl (version, direction, fds attached, flags, session, seq), then one
-- vhost-user message as it came: the 12-byte header and its payload.
--   tshark -X lua_script:vhost-user.lua -r capture.pcapng
-- or copy it into Wireshark's plugin folder (installed under
-- $libdir/wireshark/plugins/ by make install).
--
-- The request tables below are generated from vhuctl's own (dev/gen-lua,
-- from vhuctl --list-requests); tests/pcap.sh fails when they differ.
-- Part of vhuctl. GPL-3.0-or-later.

local vhu = Proto("vhostuser", "vhost-user")

-- @generated-begin (dev/gen-lua: do not edit by hand)
local frontend_requests = {
	[1] = { "GET_FEATURES", "no", "features" },
	[2] = { "SET_FEATURES", "features", "no" },
	[3] = { "SET_OWNER", "no", "no" },
	[4] = { "RESET_OWNER", "no", "no" },
	[5] = { "SET_MEM_TABLE", "memory table", "no" },
	[6] = { "SET_LOG_BASE", "log", "log base reply" },
	[7] = { "SET_LOG_FD", "no", "no" },
	[8] = { "SET_VRING_NUM", "vring state", "no" },
	[9] = { "SET_VRING_ADDR", "vring address", "no" },
	[10] = { "SET_VRING_BASE", "vring state", "no" },
	[11] = { "GET_VRING_BASE", "vring state", "vring state" },
	[12] = { "SET_VRING_KICK", "vring fd", "no" },
	[13] = { "SET_VRING_CALL", "vring fd", "no" },
	[14] = { "SET_VRING_ERR", "vring fd", "no" },
	[15] = { "GET_PROTOCOL_FEATURES", "no", "protocol features" },
	[16] = { "SET_PROTOCOL_FEATURES", "protocol features", "no" },
	[17] = { "GET_QUEUE_NUM", "no", "u64" },
	[18] = { "SET_VRING_ENABLE", "vring state", "no" },
	[19] = { "SEND_RARP", "MAC address", "no" },
	[20] = { "NET_SET_MTU", "u64", "no" },
	[21] = { "SET_BACKEND_REQ_FD", "no", "no" },
	[22] = { "IOTLB_MSG", "IOTLB message", "u64" },
	[23] = { "SET_VRING_ENDIAN", "vring state", "no" },
	[24] = { "GET_CONFIG", "device config", "device config" },
	[25] = { "SET_CONFIG", "device config", "no" },
	[26] = { "CREATE_CRYPTO_SESSION", "crypto session", "crypto session" },
	[27] = { "CLOSE_CRYPTO_SESSION", "u64", "no" },
	[28] = { "POSTCOPY_ADVISE", "no", "no" },
	[29] = { "POSTCOPY_LISTEN", "no", "no" },
	[30] = { "POSTCOPY_END", "no", "u64" },
	[31] = { "GET_INFLIGHT_FD", "inflight description", "inflight description" },
	[32] = { "SET_INFLIGHT_FD", "inflight description", "no" },
	[33] = { "GPU_SET_SOCKET", "no", "no" },
	[34] = { "RESET_DEVICE", "no", "no" },
	[35] = { "VRING_KICK", "vring state", "no" },
	[36] = { "GET_MAX_MEM_SLOTS", "no", "u64" },
	[37] = { "ADD_MEM_REG", "single memory region", "no" },
	[38] = { "REM_MEM_REG", "single memory region", "no" },
	[39] = { "SET_STATUS", "device status", "no" },
	[40] = { "GET_STATUS", "no", "device status" },
	[41] = { "GET_SHARED_OBJECT", "shared object", "u64" },
	[42] = { "SET_DEVICE_STATE_FD", "device state transfer", "u64" },
	[43] = { "CHECK_DEVICE_STATE", "no", "u64" },
	[44] = { "GET_SHMEM_CONFIG", "no", "shmem config" },
}
local backend_requests = {
	[1] = { "BACKEND_IOTLB_MSG", "IOTLB message", "no" },
	[2] = { "BACKEND_CONFIG_CHANGE_MSG", "no", "no" },
	[3] = { "BACKEND_VRING_HOST_NOTIFIER_MSG", "vring area", "no" },
	[4] = { "BACKEND_VRING_CALL", "vring state", "no" },
	[5] = { "BACKEND_VRING_ERR", "vring state", "no" },
	[6] = { "BACKEND_SHARED_OBJECT_ADD", "shared object", "no" },
	[7] = { "BACKEND_SHARED_OBJECT_REMOVE", "shared object", "no" },
	[8] = { "BACKEND_SHARED_OBJECT_LOOKUP", "shared object", "u64" },
	[9] = { "BACKEND_SHMEM_MAP", "shmem map", "no" },
	[10] = { "BACKEND_SHMEM_UNMAP", "shmem map", "no" },
}
-- @generated-end

local directions = {
	[0] = "to_backend", [1] = "to_frontend",
	[2] = "backend_channel_to_frontend", [3] = "backend_channel_to_backend",
}

local f = vhu.fields
f.version   = ProtoField.uint8("vhostuser.capture_version", "Capture version")
f.direction = ProtoField.uint8("vhostuser.direction", "Direction", base.DEC, directions)
f.nfds      = ProtoField.uint8("vhostuser.fds", "Fds attached")
f.session   = ProtoField.uint32("vhostuser.session", "Session")
f.seq       = ProtoField.uint64("vhostuser.seq", "Seq")
f.request   = ProtoField.uint32("vhostuser.request", "Request")
f.name      = ProtoField.string("vhostuser.name", "Request name")
f.flags     = ProtoField.uint32("vhostuser.flags", "Flags", base.HEX)
f.flag_version = ProtoField.uint32("vhostuser.flags.version", "Version", base.DEC, nil, 0x3)
f.flag_reply   = ProtoField.bool("vhostuser.flags.reply", "REPLY", 32, nil, 0x4)
f.flag_need    = ProtoField.bool("vhostuser.flags.need_reply", "NEED_REPLY", 32, nil, 0x8)
f.size      = ProtoField.uint32("vhostuser.size", "Size")
f.payload_kind = ProtoField.string("vhostuser.payload_kind", "Payload kind")
f.u64       = ProtoField.uint64("vhostuser.u64", "u64", base.HEX)
f.index     = ProtoField.uint32("vhostuser.index", "Index")
f.num       = ProtoField.uint32("vhostuser.num", "Num")
f.nofd      = ProtoField.bool("vhostuser.nofd", "NOFD")
f.desc      = ProtoField.uint64("vhostuser.desc_user_addr", "desc_user_addr", base.HEX)
f.used      = ProtoField.uint64("vhostuser.used_user_addr", "used_user_addr", base.HEX)
f.avail     = ProtoField.uint64("vhostuser.avail_user_addr", "avail_user_addr", base.HEX)
f.log       = ProtoField.uint64("vhostuser.log_guest_addr", "log_guest_addr", base.HEX)
f.nregions  = ProtoField.uint32("vhostuser.nregions", "nregions")
f.gpa       = ProtoField.uint64("vhostuser.guest_phys_addr", "guest_phys_addr", base.HEX)
f.msize     = ProtoField.uint64("vhostuser.memory_size", "memory_size")
f.uaddr     = ProtoField.uint64("vhostuser.userspace_addr", "userspace_addr", base.HEX)
f.offset    = ProtoField.uint64("vhostuser.mmap_offset", "mmap_offset")
f.cfg_offset = ProtoField.uint32("vhostuser.config_offset", "offset")
f.cfg_size  = ProtoField.uint32("vhostuser.config_size", "size")
f.cfg_flags = ProtoField.uint32("vhostuser.config_flags", "flags")
f.data      = ProtoField.bytes("vhostuser.data", "Data")
f.bad       = ProtoField.string("vhostuser.malformed", "Malformed")

local function region(t, buf, at, label)
	local r = t:add(vhu, buf(at, 32), label)
	r:add_le(f.gpa, buf(at, 8))
	r:add_le(f.msize, buf(at + 8, 8))
	r:add_le(f.uaddr, buf(at + 16, 8))
	r:add_le(f.offset, buf(at + 24, 8))
end

-- The payload, by the kind the table gives (the same names as vhuctl's).
local function payload(t, buf, kind)
	local n = buf:len()
	if kind == "no" or n == 0 then
		return
	end
	t:add(f.payload_kind, kind)
	if kind == "u64" or kind == "features" or kind == "protocol features" or kind == "device status"
	   or kind == "log base reply" then
		if n == 8 then t:add_le(f.u64, buf(0, 8)) return end
	elseif kind == "vring fd" then
		if n == 8 then
			t:add_le(f.index, buf(0, 1))
			t:add(f.nofd, bit.band(buf(1, 1):uint(), 1) == 1)
			return
		end
	elseif kind == "vring state" then
		if n == 8 then t:add_le(f.index, buf(0, 4)) t:add_le(f.num, buf(4, 4)) return end
	elseif kind == "vring address" then
		if n == 40 then
			t:add_le(f.index, buf(0, 4))
			t:add_le(f.desc, buf(8, 8))
			t:add_le(f.used, buf(16, 8))
			t:add_le(f.avail, buf(24, 8))
			t:add_le(f.log, buf(32, 8))
			return
		end
	elseif kind == "memory table" then
		if n >= 8 then
			local k = buf(0, 4):le_uint()
			t:add_le(f.nregions, buf(0, 4))
			if k <= 8 and n >= 8 + 32 * k then
				for i = 0, k - 1 do region(t, buf, 8 + 32 * i, "region " .. i) end
				return
			end
		end
	elseif kind == "single memory region" then
		if n >= 40 then region(t, buf, 8, "region") return end
	elseif kind == "device config" then
		if n >= 12 then
			t:add_le(f.cfg_offset, buf(0, 4))
			t:add_le(f.cfg_size, buf(4, 4))
			t:add_le(f.cfg_flags, buf(8, 4))
			if n > 12 then t:add(f.data, buf(12)) end
			return
		end
	end
	t:add(f.data, buf(0))
	if kind ~= "opaque bytes" then
		t:add(f.bad, "a " .. kind .. " payload of " .. n .. " bytes does not have its layout")
	end
end

function vhu.dissector(buf, pinfo, tree)
	if buf:len() < 16 + 12 then return 0 end
	local dir = buf(1, 1):uint()
	local backend_side = dir == 2 or dir == 3
	local req = buf(16, 4):le_uint()
	local flags = buf(20, 4):le_uint()
	local row = (backend_side and backend_requests or frontend_requests)[req]
	local reply = bit.band(flags, 4) ~= 0
	local name = row and row[1] or ("request " .. req)
	pinfo.cols.protocol = "vhost-user"
	pinfo.cols.info = (directions[dir] or "?") .. " " .. name .. (reply and " [REPLY]" or "")
	local t = tree:add(vhu, buf(), "vhost-user " .. name .. (reply and " reply" or ""))
	t:add(f.version, buf(0, 1))
	t:add(f.direction, buf(1, 1))
	t:add(f.nfds, buf(2, 1))
	t:add_le(f.session, buf(4, 4))
	t:add_le(f.seq, buf(8, 8))
	t:add_le(f.request, buf(16, 4))
	t:add(f.name, name)
	local ft = t:add_le(f.flags, buf(20, 4))
	ft:add_le(f.flag_version, buf(20, 4))
	ft:add_le(f.flag_reply, buf(20, 4))
	ft:add_le(f.flag_need, buf(20, 4))
	t:add_le(f.size, buf(24, 4))
	local size = buf(24, 4):le_uint()
	local have = buf:len() - 28
	if have ~= size then
		t:add(f.bad, "size " .. size .. " but " .. have .. " payload bytes")
	end
	if have > 0 and row then
		local kind = reply and row[3] or row[2]
		if reply and kind == "no" then kind = "u64" end	-- a REPLY_ACK
		payload(t, buf(28, have), kind)
	elseif have > 0 then
		t:add(f.data, buf(28, have))
	end
	return buf:len()
end

DissectorTable.get("wtap_encap"):add(wtap.USER0, vhu)
